package dev.edgelm.agent.cli;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import picocli.CommandLine;

/**
 * Runs a picocli command with EdgeLM's error contract (DESIGN.md section 3): one clear line on standard error and
 * a non-zero exit, never a stack trace unless {@code --debug} is on the command line. Shared by {@code edgelm} and
 * the testbench tools.
 */
public final class CommandRunner {

    /** Exit status for a failure while running a command (bad file, I/O error). */
    public static final int EXIT_FAILURE = 1;
    /** Exit status for a command line that could not be understood. */
    public static final int EXIT_USAGE = 2;
    /** The option that asks for stack traces; commands declare it so that it shows in their help. */
    public static final String DEBUG_OPTION = "--debug";

    private CommandRunner() {}

    /** Runs {@code command} (a picocli {@code @Command} object) on {@code args}, returning the exit status. */
    public static int run(Object command, PrintWriter out, PrintWriter err, String... args) {
        String name = new CommandLine(command).getCommandName();
        boolean debug = Arrays.asList(args).contains(DEBUG_OPTION);
        CommandLine commandLine = new CommandLine(command);
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setExitCodeExceptionMapper(e -> EXIT_FAILURE);
        commandLine.setParameterExceptionHandler((e, a) -> {
            err.println(name + ": " + e.getMessage());
            err.println("Try '" + name + " --help' for usage.");
            return EXIT_USAGE;
        });
        commandLine.setExecutionExceptionHandler((e, cmd, parsed) -> {
            err.println(name + ": " + describe(e));
            if (debug) {
                e.printStackTrace(err);
            }
            return EXIT_FAILURE;
        });
        return commandLine.execute(args);
    }

    /** One line for the user: the message, or the exception type where there is none. */
    static String describe(Throwable e) {
        Throwable shown = e instanceof UncheckedIOException && e.getCause() != null ? e.getCause() : e;
        // The JDK's file-system exceptions carry only the path as their message.
        switch (shown) {
            case NoSuchFileException missing -> {
                return "no such file: " + missing.getFile();
            }
            case AccessDeniedException denied -> {
                return "permission denied: " + denied.getFile();
            }
            default -> { }
        }
        String message = shown.getMessage();
        return message == null || message.isBlank() ? shown.getClass().getSimpleName() : message;
    }
}
