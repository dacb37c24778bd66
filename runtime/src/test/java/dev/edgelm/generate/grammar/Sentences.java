package dev.edgelm.generate.grammar;

import dev.edgelm.generate.grammar.GbnfExpr.Alt;
import dev.edgelm.generate.grammar.GbnfExpr.CharClass;
import dev.edgelm.generate.grammar.GbnfExpr.Literal;
import dev.edgelm.generate.grammar.GbnfExpr.Repeat;
import dev.edgelm.generate.grammar.GbnfExpr.RuleRef;
import dev.edgelm.generate.grammar.GbnfExpr.Seq;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Random sentences of a converted grammar, chosen adversarially: repetition counts at their limits, characters at
 * the edges of classes and among the troublesome ones (quotes, backslashes, control characters, line separators,
 * characters outside the BMP). Past a depth it takes the shortest way out, so that recursive grammars end.
 */
final class Sentences {
    private static final int MAX_DEPTH = 12;
    private static final int MAX_EXTRA_REPEATS = 6;
    private static final int[] TRICKY = {'"', '\\', '/', 0, '\n', '\r', '\t', 0x1F, 0x7F, 0x85, 0x2028, 0x2029, 0xFEFF,
        0xE9, 0x1F600, 'a', 'Z', '0', '9', '-', ' ', '.', 'e', 'E', '+'};

    private final Map<String, GbnfExpr> rules;
    private final SplittableRandom random;
    /** The least derivation depth of each rule, so that deep recursion can head for the exit. */
    private final Map<String, Integer> depths = new HashMap<>();

    Sentences(GbnfRules grammar, SplittableRandom random) {
        this.rules = grammar.rules();
        this.random = random;
        boolean changed = true;
        while (changed) {
            changed = false;
            for (Map.Entry<String, GbnfExpr> rule : rules.entrySet()) {
                int depth = depth(rule.getValue());
                if (depth < depths.getOrDefault(rule.getKey(), Integer.MAX_VALUE)) {
                    depths.put(rule.getKey(), depth);
                    changed = true;
                }
            }
        }
    }

    /** A sentence from the root rule. */
    String next() {
        StringBuilder out = new StringBuilder();
        write(new RuleRef("root"), 0, out);
        return out.toString();
    }

    private void write(GbnfExpr expr, int depth, StringBuilder out) {
        switch (expr) {
            case Literal l -> out.append(l.text());
            case CharClass c -> out.appendCodePoint(pick(c.set()));
            case Seq s -> s.items().forEach(i -> write(i, depth, out));
            case Alt a -> write(depth > MAX_DEPTH ? shallowest(a.options()) : a.options().get(
                    random.nextInt(a.options().size())), depth, out);
            case Repeat r -> {
                int count = depth > MAX_DEPTH ? r.min() : count(r.min(), r.max());
                for (int i = 0; i < count; i++) {
                    write(r.item(), depth, out);
                }
            }
            case RuleRef r -> write(rules.get(r.name()), depth + 1, out);
        }
    }

    private int count(int min, int max) {
        int top = max == Repeat.UNBOUNDED ? min + MAX_EXTRA_REPEATS : Math.min(max, min + MAX_EXTRA_REPEATS);
        return switch (random.nextInt(4)) {
            case 0 -> min;
            case 1 -> max == Repeat.UNBOUNDED ? top : max;
            default -> min + random.nextInt(top - min + 1);
        };
    }

    private int pick(CodePointSet set) {
        if (random.nextInt(3) == 0) {
            int tricky = TRICKY[random.nextInt(TRICKY.length)];
            if (set.contains(tricky)) {
                return tricky;
            }
        }
        while (true) {
            int range = random.nextInt(set.rangeCount());
            int from = set.rangeStart(range);
            int to = set.rangeEnd(range);
            int c = switch (random.nextInt(3)) {
                case 0 -> from;
                case 1 -> to;
                default -> from + random.nextInt(to - from + 1);
            };
            // Text decoded from UTF-8 has no lone surrogates.
            if (c > 0xFFFF || !Character.isSurrogate((char) c)) {
                return c;
            }
        }
    }

    private GbnfExpr shallowest(List<GbnfExpr> options) {
        GbnfExpr best = options.getFirst();
        for (GbnfExpr option : options) {
            if (depth(option) < depth(best)) {
                best = option;
            }
        }
        return best;
    }

    private int depth(GbnfExpr expr) {
        return switch (expr) {
            case Literal l -> 0;
            case CharClass c -> 0;
            case Seq s -> s.items().stream().mapToInt(this::depth).max().orElse(0);
            case Alt a -> a.options().stream().mapToInt(this::depth).min().orElseThrow();
            case Repeat r -> r.min() == 0 ? 0 : depth(r.item());
            case RuleRef r -> {
                int d = depths.getOrDefault(r.name(), Integer.MAX_VALUE);
                yield d == Integer.MAX_VALUE ? d : d + 1;
            }
        };
    }
}
