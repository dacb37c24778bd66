package dev.edgelm.agent.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code edgelm} command: the entry point of the device agent and its tools.
 *
 * <p>Errors follow one contract (DESIGN.md section 3): one clear line on standard error and a non-zero exit,
 * never a stack trace unless {@code --debug} is given.
 */
@Command(
        name = "edgelm",
        mixinStandardHelpOptions = true,
        versionProvider = EdgeLmCommand.Version.class,
        description = "Run small language models on edge devices.",
        subcommands = {InfoCommand.class, CommandLine.HelpCommand.class})
public final class EdgeLmCommand {

    /** Exit status for a failure while running a command (bad file, I/O error). */
    static final int EXIT_FAILURE = 1;
    /** Exit status for a command line that could not be understood. */
    static final int EXIT_USAGE = 2;

    @Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT, description = "Print stack traces on errors.")
    boolean debug;

    public static void main(String[] args) {
        System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs the command line with the given output streams and returns the exit status. */
    static int run(PrintWriter out, PrintWriter err, String... args) {
        EdgeLmCommand root = new EdgeLmCommand();
        CommandLine commandLine = new CommandLine(root);
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setExitCodeExceptionMapper(e -> EXIT_FAILURE);
        commandLine.setParameterExceptionHandler((e, a) -> {
            err.println("edgelm: " + e.getMessage());
            err.println("Try 'edgelm --help' for usage.");
            return EXIT_USAGE;
        });
        commandLine.setExecutionExceptionHandler((e, cmd, parsed) -> {
            err.println("edgelm: " + describe(e));
            if (root.debug) {
                e.printStackTrace(err);
            }
            return EXIT_FAILURE;
        });
        return commandLine.execute(args);
    }

    /** One line for the user: the message, or the exception type where there is none. */
    private static String describe(Throwable e) {
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

    /** Reads the version that the build wrote into {@code version.properties}. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties properties = new Properties();
            try (InputStream in = EdgeLmCommand.class.getResourceAsStream("/dev/edgelm/agent/version.properties")) {
                if (in != null) {
                    properties.load(in);
                }
            }
            return new String[] {
                "edgelm " + properties.getProperty("version", "unknown"),
                "JVM " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ", "
                        + System.getProperty("os.arch") + ")"
            };
        }
    }
}
