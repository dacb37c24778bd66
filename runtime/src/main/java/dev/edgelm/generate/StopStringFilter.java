package dev.edgelm.generate;

import java.util.List;

/**
 * Releases generated text as it streams, holding back any tail that could still become a stop string, and finds
 * the first stop string once it is complete. What it releases never includes a stop string or anything after one.
 */
final class StopStringFilter {
    private final List<String> stopStrings;
    private final StringBuilder text = new StringBuilder();
    private int released;
    private boolean stopped;

    StopStringFilter(List<String> stopStrings) {
        this.stopStrings = stopStrings;
    }

    /** Appends a piece of generated text and returns what can be released now. */
    String accept(String piece) {
        if (stopped) {
            throw new IllegalStateException("a stop string was already found");
        }
        text.append(piece);
        int stop = firstStop();
        if (stop >= 0) {
            stopped = true;
            text.setLength(stop);
            return release(stop);
        }
        return release(text.length() - heldBack());
    }

    /** Whether a stop string was found (the text ends before it). */
    boolean stopped() {
        return stopped;
    }

    /** Releases whatever was held back: the generation ended without completing a stop string. */
    String flush() {
        return release(text.length());
    }

    /** All the text so far, stop string excluded. */
    String text() {
        return text.toString();
    }

    /** Whether the text ends with the first {@code k} characters of {@code stop}. */
    private boolean endsWith(String stop, int k) {
        int start = text.length() - k;
        for (int i = 0; i < k; i++) {
            if (text.charAt(start + i) != stop.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private String release(int upTo) {
        String out = text.substring(released, Math.max(released, upTo));
        released = Math.max(released, upTo);
        return out;
    }

    /** Where the earliest complete stop string starts, or -1. Only text that can contain a new match is searched. */
    private int firstStop() {
        int best = -1;
        for (String stop : stopStrings) {
            int from = Math.max(0, released - stop.length() + 1);
            int at = text.indexOf(stop, from);
            if (at >= 0 && (best < 0 || at < best)) {
                best = at;
            }
        }
        return best;
    }

    /** The length of the longest tail of the text that is a proper prefix of a stop string. */
    private int heldBack() {
        int longest = 0;
        for (String stop : stopStrings) {
            int max = Math.min(stop.length() - 1, text.length() - released);
            for (int k = max; k > longest; k--) {
                if (endsWith(stop, k)) {
                    longest = k;
                    break;
                }
            }
        }
        return longest;
    }
}
