package dev.edgelm.testbench.launcher;

import dev.edgelm.agent.cli.EdgeLmCommand;
import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the {@code edgelm} command in the test's JVM, as {@code ./edgelm} would, capturing both outputs. */
public final class InProcessEdgeLm {
    private InProcessEdgeLm() {
    }

    /** The outcome of one run. */
    public record Run(int status, String out, String err) {}

    /** Runs {@code edgelm args}. */
    public static Run edgelm(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = EdgeLmCommand.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Run(status, out.toString(), err.toString());
    }
}
