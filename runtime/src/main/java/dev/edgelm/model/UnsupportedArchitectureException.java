package dev.edgelm.model;

/** A model's {@code general.architecture} is one EdgeLM does not run: the message names the file and the runnable ones. */
public final class UnsupportedArchitectureException extends RuntimeException {
    private final String architecture;

    UnsupportedArchitectureException(String source, String architecture) {
        super(source + ": architecture '" + architecture + "' is not supported (EdgeLM runs "
                + Architecture.supportedNames() + ")");
        this.architecture = architecture;
    }

    /** The architecture the file names. */
    public String architecture() {
        return architecture;
    }
}
