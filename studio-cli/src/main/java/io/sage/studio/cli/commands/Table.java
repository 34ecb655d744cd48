package io.sage.studio.cli.commands;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The commands' fixed-width tables: the columns are declared once (header, width, alignment) and both the header
 * line and every row are printed from them, so a column cannot drift between the two (each command used to repeat
 * its format string for the header and the rows). A {@link #cut} column cuts a longer cell with {@code …}, the others
 * push the rest of the line right (times, states: better whole); a {@link #rest} column has no width; lines carry no
 * trailing blanks; an absent value is {@code -} ({@link Output#text}).
 */
final class Table {

    /** One column: {@code width} 0 for a free column; {@code right} aligns numbers; {@code cut} long cells. */
    record Column(String header, int width, boolean right, boolean cut) {}

    private final List<Column> columns;

    private Table(List<Column> columns) {
        this.columns = List.copyOf(columns);
    }

    static Table of(Column... columns) {
        return new Table(List.of(columns));
    }

    static Column left(String header, int width) {
        return new Column(header, width, false, false);
    }

    static Column cut(String header, int width) {
        return new Column(header, width, false, true);
    }

    static Column right(String header, int width) {
        return new Column(header, width, true, false);
    }

    static Column rest(String header) {
        return new Column(header, 0, false, false);
    }

    void header(PrintStream out) {
        out.println(line(columns.stream().map(c -> (Object) c.header()).toList()));
    }

    void row(PrintStream out, Object... values) {
        out.println(line(Arrays.asList(values)));
    }

    private String line(List<Object> values) {
        if (values.size() != columns.size()) {
            throw new IllegalArgumentException(columns.size() + " columns, " + values.size() + " values");
        }
        List<String> cells = new ArrayList<>(values.size());
        for (int i = 0; i < values.size(); i++) {
            Column column = columns.get(i);
            String text = Output.text(values.get(i));
            if (column.width() == 0) {
                cells.add(text);
            } else if (column.right()) {
                cells.add(String.format("%" + column.width() + "s", text));
            } else {
                cells.add(String.format(
                        "%-" + column.width() + "s", column.cut() ? Output.truncate(text, column.width()) : text));
            }
        }
        return String.join(" ", cells).stripTrailing();
    }
}
