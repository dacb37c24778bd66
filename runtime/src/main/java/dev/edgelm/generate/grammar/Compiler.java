package dev.edgelm.generate.grammar;

import dev.edgelm.generate.grammar.Syntax.CharClass;
import dev.edgelm.generate.grammar.Syntax.Group;
import dev.edgelm.generate.grammar.Syntax.Item;
import dev.edgelm.generate.grammar.Syntax.Literal;
import dev.edgelm.generate.grammar.Syntax.Repeat;
import dev.edgelm.generate.grammar.Syntax.Rule;
import dev.edgelm.generate.grammar.Syntax.RuleRef;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Turns {@link Syntax} into a {@link Program} and rejects, before any generation, the grammars the automaton could
 * not run: an undefined or twice-defined rule, no {@code root}, left recursion, a rule that can never finish, one
 * too large to lay out.
 *
 * <p>Groups and repetitions become rules of their own, as llama.cpp rewrites them: {@code S{m,n}} is {@code m}
 * copies of {@code S} then a chain {@code S'(k) ::= S S'(k-1) |} of {@code n - m} optional ones, and {@code S*} is
 * {@code S' ::= S S' |}. The recursive reference is last in its alternative, so the automaton needs no stack frame
 * for it and a repetition never deepens the stack.
 */
final class Compiler {
    /** The most symbols a grammar may compile to (repetitions of long literals multiply). */
    static final int MAX_SYMBOLS = 1 << 20;

    private final GbnfSource source;
    private final Map<String, Integer> named = new LinkedHashMap<>();
    private final List<Rule> definitions;
    /** Per rule, its alternatives as symbol arrays. */
    private final List<List<int[]>> bodies = new ArrayList<>();
    /** Per rule, the named rule it was written in. */
    private final List<Integer> owners = new ArrayList<>();
    private final Map<CodePointSet, Integer> charSetIds = new HashMap<>();
    private final List<CodePointSet> charSets = new ArrayList<>();
    private long symbols;

    private Compiler(GbnfSource source, List<Rule> definitions) {
        this.source = source;
        this.definitions = definitions;
    }

    /**
     * Compiles {@code rules}, parsed from {@code source}.
     *
     * @throws GrammarException if the grammar cannot be used; the message says where and why
     */
    static Program compile(GbnfSource source, List<Rule> rules) {
        return new Compiler(source, rules).compile();
    }

    private Program compile() {
        for (Rule rule : definitions) {
            Integer earlier = named.putIfAbsent(rule.name(), named.size());
            if (earlier != null) {
                throw source.error(rule.offset(), "rule '" + rule.name() + "' is already defined at "
                        + source.position(definitions.get(earlier).offset()));
            }
            bodies.add(null);
            owners.add(named.size() - 1);
        }
        Integer root = named.get("root");
        if (root == null) {
            throw new GrammarException("grammar error: no rule 'root' (generation starts from 'root ::= ...')");
        }
        for (Rule rule : definitions) {
            int id = named.get(rule.name());
            bodies.set(id, alternatives(rule.alternatives(), id));
        }
        boolean[] nullable = fixpoint(false);
        rejectLeftRecursion(nullable);
        rejectUnproductive(fixpoint(true));
        return layOut(root);
    }

    private List<int[]> alternatives(List<List<Item>> alternatives, int owner) {
        List<int[]> out = new ArrayList<>(alternatives.size());
        for (List<Item> sequence : alternatives) {
            List<Integer> symbols = new ArrayList<>();
            for (Item item : sequence) {
                emit(item, symbols, owner);
            }
            out.add(toArray(symbols));
        }
        return out;
    }

    private void emit(Item item, List<Integer> out, int owner) {
        switch (item) {
            case Literal literal -> {
                for (int c : literal.codePoints()) {
                    add(out, charSetId(CodePointSet.of(c)), literal.offset());
                }
            }
            case CharClass charClass -> add(out, charSetId(charClass.set()), charClass.offset());
            case RuleRef ref -> {
                Integer id = named.get(ref.name());
                if (id == null) {
                    throw source.error(ref.offset(), "undefined rule '" + ref.name() + "' (no '" + ref.name()
                            + " ::= ...' in the grammar)");
                }
                add(out, Program.ref(id), ref.offset());
            }
            case Group group -> {
                int id = newRule(owner);
                bodies.set(id, alternatives(group.alternatives(), owner));
                add(out, Program.ref(id), group.offset());
            }
            case Repeat repeat -> repeat(repeat, out, owner);
        }
    }

    private void repeat(Repeat repeat, List<Integer> out, int owner) {
        List<Integer> one = new ArrayList<>();
        emit(repeat.item(), one, owner);
        for (long i = 0; i < repeat.min(); i++) {
            for (int symbol : one) {
                add(out, symbol, repeat.offset());
            }
        }
        if (repeat.max() == Syntax.UNBOUNDED) {
            int id = newRule(owner);
            List<Integer> again = new ArrayList<>(one);
            add(again, Program.ref(id), repeat.offset());
            bodies.set(id, List.of(toArray(again), new int[0]));
            add(out, Program.ref(id), repeat.offset());
            return;
        }
        int previous = -1;
        for (long k = repeat.min(); k < repeat.max(); k++) {
            int id = newRule(owner);
            List<Integer> more = new ArrayList<>();
            for (int symbol : one) {
                add(more, symbol, repeat.offset());
            }
            if (previous >= 0) {
                add(more, Program.ref(previous), repeat.offset());
            }
            bodies.set(id, List.of(toArray(more), new int[0]));
            previous = id;
        }
        if (previous >= 0) {
            add(out, Program.ref(previous), repeat.offset());
        }
    }

    /** Appends a symbol, counting it against {@link #MAX_SYMBOLS}. */
    private void add(List<Integer> out, int symbol, int offset) {
        if (++symbols > MAX_SYMBOLS) {
            throw source.error(offset, "the grammar is too large: its repetitions expand to more than " + MAX_SYMBOLS
                    + " symbols");
        }
        out.add(symbol);
    }

    private int newRule(int owner) {
        bodies.add(null);
        owners.add(owner);
        symbols += 2; // its reference and its empty alternative's end, so that rules alone cannot grow unbounded
        return bodies.size() - 1;
    }

    private int charSetId(CodePointSet set) {
        return charSetIds.computeIfAbsent(set, s -> {
            charSets.add(s);
            return charSets.size() - 1;
        });
    }

    /**
     * Per rule, whether it can derive the empty text ({@code terminalsCount} false), or some finite text
     * ({@code terminalsCount} true): the least fixpoint over "some alternative has only such symbols".
     */
    private boolean[] fixpoint(boolean terminalsCount) {
        boolean[] yes = new boolean[bodies.size()];
        boolean changed = true;
        while (changed) {
            changed = false;
            for (int r = 0; r < yes.length; r++) {
                if (!yes[r] && bodies.get(r).stream().anyMatch(alt -> allSatisfy(alt, yes, terminalsCount))) {
                    yes[r] = true;
                    changed = true;
                }
            }
        }
        return yes;
    }

    private static boolean allSatisfy(int[] alternative, boolean[] rules, boolean terminalsCount) {
        for (int symbol : alternative) {
            if (symbol >= 0 ? !terminalsCount : !rules[Program.rule(symbol)]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Left recursion: a rule that can reach itself before any character, through references each preceded only by
     * rules that can match nothing. The automaton would push a return frame for every turn of such a cycle and
     * never stop. A cycle made only of references that end their alternative pushes nothing (it is how {@code x*}
     * over an {@code x} that can be empty compiles), so only cycles with one other reference are rejected.
     */
    private void rejectLeftRecursion(boolean[] nullable) {
        int n = bodies.size();
        List<List<int[]>> edges = new ArrayList<>(n); // per rule: {target, tail ? 1 : 0}
        for (int r = 0; r < n; r++) {
            List<int[]> out = new ArrayList<>();
            for (int[] alt : bodies.get(r)) {
                for (int i = 0; i < alt.length && alt[i] < 0; i++) {
                    int target = Program.rule(alt[i]);
                    out.add(new int[] {target, i == alt.length - 1 ? 1 : 0});
                    if (!nullable[target]) {
                        break;
                    }
                }
            }
            edges.add(out);
        }
        int[] component = stronglyConnectedComponents(edges);
        for (int r = 0; r < n; r++) {
            for (int[] edge : edges.get(r)) {
                if (edge[1] == 0 && component[edge[0]] == component[r]) {
                    String cycle = cycle(edges, component, r, edge[0]);
                    Rule rule = definitions.get(owners.get(r));
                    throw source.error(rule.offset(), "rule '" + rule.name() + "' is left-recursive (" + cycle
                            + " can repeat without matching a character), which GBNF cannot run: write the"
                            + " repetition with * or +, e.g. expr ::= term (\"+\" term)* instead of"
                            + " expr ::= expr \"+\" term | term");
                }
            }
        }
    }

    /**
     * The cycle that the left edge {@code from -> to} closes, as the named rules it passes through:
     * {@code "a -> b -> a"}, found by a breadth-first search from {@code to} back to {@code from} inside their
     * component.
     */
    private String cycle(List<List<int[]>> edges, int[] component, int from, int to) {
        int[] previous = new int[edges.size()];
        Arrays.fill(previous, -2);
        previous[to] = -1;
        ArrayDeque<Integer> queue = new ArrayDeque<>(List.of(to));
        while (!queue.isEmpty() && previous[from] == -2) {
            int r = queue.poll();
            for (int[] edge : edges.get(r)) {
                if (previous[edge[0]] == -2 && component[edge[0]] == component[from]) {
                    previous[edge[0]] = r;
                    queue.add(edge[0]);
                }
            }
        }
        List<Integer> path = new ArrayList<>(); // from, back to to
        for (int r = from; r != to; r = previous[r]) {
            path.add(r);
        }
        path.add(to);
        path.add(from);
        StringJoiner names = new StringJoiner(" -> ");
        String last = null;
        for (int r : path.reversed()) {
            String name = definitions.get(owners.get(r)).name();
            if (!name.equals(last)) {
                names.add(name);
                last = name;
            }
        }
        String text = names.toString();
        return text.contains(" -> ") ? text : text + " -> " + text;
    }

    /** Tarjan's algorithm, iteratively (repetitions can make long chains of rules): a component id per rule. */
    private static int[] stronglyConnectedComponents(List<List<int[]>> edges) {
        int n = edges.size();
        int[] index = new int[n];
        int[] low = new int[n];
        int[] component = new int[n];
        boolean[] onStack = new boolean[n];
        Arrays.fill(index, -1);
        int[] stack = new int[n];
        int stackSize = 0;
        int[] callRule = new int[n];
        int[] callEdge = new int[n];
        int counter = 0;
        int components = 0;
        for (int root = 0; root < n; root++) {
            if (index[root] >= 0) {
                continue;
            }
            int depth = 0;
            callRule[0] = root;
            callEdge[0] = 0;
            index[root] = low[root] = counter++;
            stack[stackSize++] = root;
            onStack[root] = true;
            while (depth >= 0) {
                int r = callRule[depth];
                List<int[]> out = edges.get(r);
                if (callEdge[depth] < out.size()) {
                    int next = out.get(callEdge[depth]++)[0];
                    if (index[next] < 0) {
                        index[next] = low[next] = counter++;
                        stack[stackSize++] = next;
                        onStack[next] = true;
                        depth++;
                        callRule[depth] = next;
                        callEdge[depth] = 0;
                    } else if (onStack[next]) {
                        low[r] = Math.min(low[r], index[next]);
                    }
                    continue;
                }
                if (low[r] == index[r]) {
                    int member;
                    do {
                        member = stack[--stackSize];
                        onStack[member] = false;
                        component[member] = components;
                    } while (member != r);
                    components++;
                }
                depth--;
                if (depth >= 0) {
                    int caller = callRule[depth];
                    low[caller] = Math.min(low[caller], low[r]);
                }
            }
        }
        return component;
    }

    /**
     * A named rule that cannot produce any finite text: every alternative needs it again (directly or through
     * other such rules). Only named rules are checked: if they all can finish, so can the rules made for their
     * groups and repetitions, whose recursion always has an empty way out.
     */
    private void rejectUnproductive(boolean[] productive) {
        List<Integer> stuck = new ArrayList<>();
        for (int r = 0; r < definitions.size(); r++) {
            if (!productive[r]) {
                stuck.add(r);
            }
        }
        if (stuck.isEmpty()) {
            return;
        }
        String names = String.join(", ", stuck.stream().map(r -> "'" + definitions.get(r).name() + "'").toList());
        String message = stuck.size() == 1
                ? "rule " + names + " can never produce a finite text: every alternative needs the rule itself again"
                : "rules " + names + " can never produce a finite text: every alternative needs one of them again";
        throw source.error(definitions.get(stuck.getFirst()).offset(), message
                + ", with no alternative that ends the recursion");
    }

    private Program layOut(int root) {
        int size = 0;
        for (List<int[]> body : bodies) {
            for (int[] alt : body) {
                size += alt.length + 1;
            }
        }
        int[] code = new int[size];
        int[][] alternatives = new int[bodies.size()][];
        int at = 0;
        for (int r = 0; r < bodies.size(); r++) {
            List<int[]> body = bodies.get(r);
            alternatives[r] = new int[body.size()];
            for (int k = 0; k < body.size(); k++) {
                alternatives[r][k] = at;
                System.arraycopy(body.get(k), 0, code, at, body.get(k).length);
                at += body.get(k).length;
                code[at++] = Program.END;
            }
        }
        return new Program(code, alternatives, charSets.toArray(CodePointSet[]::new), root);
    }

    private static int[] toArray(List<Integer> values) {
        return values.stream().mapToInt(Integer::intValue).toArray();
    }
}
