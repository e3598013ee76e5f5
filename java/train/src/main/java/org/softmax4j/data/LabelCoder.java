package org.softmax4j.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Class labels as they are read (strings or numbers) to class indices:
 * provisional ids in the order of appearance while a file streams by, then
 * the classes sorted (numerically when every label is a number, else as
 * strings) so that the same classes give the same indices whatever the
 * order of the rows. With fixed classes (a test file for a trained model)
 * an unknown label is an error.
 */
final class LabelCoder {
    private final Map<String, Integer> ids = new HashMap<>();
    private final List<String> seen = new ArrayList<>();
    private final List<String> fixed;

    /** Classes found in the data ({@code fixed} null), or exactly these. */
    LabelCoder(List<String> fixed) {
        this.fixed = fixed;
        if (fixed != null) for (String s : fixed) ids.put(s, ids.size());
    }

    /** The id of {@code label}; null when the classes are fixed and it is not one of them. */
    Integer id(String label) {
        Integer id = ids.get(label);
        if (id == null && fixed == null) {
            id = seen.size();
            ids.put(label, id);
            seen.add(label);
        }
        return id;
    }

    /** The id of a numeric label (its shortest string). */
    Integer id(double label) {
        return id(
                label == Math.rint(label) && Math.abs(label) < 1e15
                        ? Long.toString((long) label)
                        : Double.toString(label));
    }

    /** The classes, sorted (or the fixed ones as given). */
    List<String> classes() {
        if (fixed != null) return fixed;
        List<String> sorted = new ArrayList<>(seen);
        boolean numeric = sorted.stream().allMatch(LabelCoder::isNumber);
        sorted.sort(numeric ? Comparator.comparingDouble(Double::parseDouble) : Comparator.naturalOrder());
        return sorted;
    }

    /** Rewrites provisional ids in place into indices of {@link #classes()}. */
    void remap(int[] labels) {
        if (fixed != null) return;
        List<String> sorted = classes();
        int[] to = new int[seen.size()];
        for (int k = 0; k < sorted.size(); k++) to[ids.get(sorted.get(k))] = k;
        for (int i = 0; i < labels.length; i++) labels[i] = to[labels[i]];
    }

    /** How many labels were seen so far (or fixed). */
    int size() {
        return fixed != null ? fixed.size() : seen.size();
    }

    private static boolean isNumber(String s) {
        try {
            Double.parseDouble(s);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** A growable int array for labels of unknown count. */
    static final class Ints {
        private int[] a = new int[1024];
        private int n;

        void add(int v) {
            if (n == a.length) a = Arrays.copyOf(a, Math.multiplyExact(a.length, 2));
            a[n++] = v;
        }

        int size() {
            return n;
        }

        int[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }
}
