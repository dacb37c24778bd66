package dev.edgelm.gguf;

/**
 * A GGUF metadata array: all elements share one type.
 *
 * <p>Arrays read from a file are views of its mapping (nothing is copied at open, so a 150k-entry vocabulary costs
 * no per-entry objects) and can be read only while the {@link GgufFile} is open.
 */
public sealed interface GgufArray extends GgufValue permits GgufNumericArray, GgufStringArray, GgufNestedArray {

    /** The type of every element ({@link GgufValueType#ARRAY} for arrays of arrays). */
    GgufValueType elementType();

    /** Number of elements. */
    int size();

    @Override
    default GgufValueType type() {
        return GgufValueType.ARRAY;
    }
}
