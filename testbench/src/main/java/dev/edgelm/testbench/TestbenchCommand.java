package dev.edgelm.testbench;

import dev.edgelm.agent.cli.CommandRunner;
import dev.edgelm.testbench.peerbench.PeerBenchCommand;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The testbench's tools, run through the {@code edgelm} launcher (see {@code testbench/fixture}). */
@Command(
        name = "testbench",
        mixinStandardHelpOptions = true,
        description = "EdgeLM testbench tools.",
        subcommands = {FixtureCommand.class, PeerBenchCommand.class, CommandLine.HelpCommand.class})
public final class TestbenchCommand {

    @Option(names = CommandRunner.DEBUG_OPTION, scope = CommandLine.ScopeType.INHERIT,
            description = "Print stack traces on errors.")
    boolean debug;

    public static void main(String[] args) {
        System.exit(CommandRunner.run(new TestbenchCommand(), new PrintWriter(System.out, true),
                new PrintWriter(System.err, true), args));
    }
}
