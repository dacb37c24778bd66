package dev.edgelm.generate.grammar;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A schema (an object or a boolean) and where it is in the document, as a JSON pointer fragment such as
 * {@code #/properties/temp}: every error message names it.
 */
record SubSchema(JsonNode node, String pointer) {

    /** The subschema under a keyword or name of this one (not checked to exist). */
    SubSchema child(String name) {
        return new SubSchema(node.get(name), pointer + "/" + escape(name));
    }

    /** The subschema at an index of an array-valued keyword. */
    SubSchema child(String keyword, int index) {
        return new SubSchema(node.get(keyword).get(index), pointer + "/" + escape(keyword) + "/" + index);
    }

    /** The pointer of a keyword of this schema. */
    String at(String keyword) {
        return pointer + "/" + escape(keyword);
    }

    private static String escape(String name) {
        return name.replace("~", "~0").replace("/", "~1");
    }
}
