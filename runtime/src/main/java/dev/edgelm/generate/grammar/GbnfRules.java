package dev.edgelm.generate.grammar;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A grammar as named rules, {@code root} first.
 *
 * @param rules the rule bodies by name, in the order they are written
 */
record GbnfRules(Map<String, GbnfExpr> rules) {

    /** Copies; the rules must include {@code root}. */
    GbnfRules {
        if (!rules.containsKey("root")) {
            throw new IllegalArgumentException("no root rule");
        }
        Map<String, GbnfExpr> ordered = new LinkedHashMap<>();
        ordered.put("root", rules.get("root"));
        ordered.putAll(rules);
        rules = Collections.unmodifiableMap(ordered);
    }

    /** The GBNF text: one {@code name ::= body} line per rule. */
    String render() {
        StringBuilder out = new StringBuilder();
        rules.forEach((name, body) -> out.append(name).append(" ::= ").append(body.render()).append('\n'));
        return out.toString();
    }
}
