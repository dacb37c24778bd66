package dev.edgelm.agent.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code edgelm} command: the entry point of the device agent and its tools.
 *
 * <p>Errors follow one contract (DESIGN.md section 3), kept by {@link CommandRunner}.
 */
@Command(
        name = "edgelm",
        mixinStandardHelpOptions = true,
        versionProvider = EdgeLmCommand.Version.class,
        description = "Run small language models on edge devices.",
        subcommands = {InfoCommand.class, TokenizeCommand.class, GenerateCommand.class, ChatCommand.class,
                PerplexityCommand.class, BenchCommand.class, RepackCommand.class, CommandLine.HelpCommand.class})
public final class EdgeLmCommand {

    @Option(names = CommandRunner.DEBUG_OPTION, scope = CommandLine.ScopeType.INHERIT,
            description = "Print stack traces on errors.")
    boolean debug;

    public static void main(String[] args) {
        System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs the command line with the given output streams and returns the exit status (for embedding and tests). */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        return CommandRunner.run(new EdgeLmCommand(), out, err, args);
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
