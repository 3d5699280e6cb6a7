"""micrograd.viz._dot — a GraphDescription written as Graphviz DOT lines that fit a screen.

`graph.to_dot` calls `dot_lines`; this module only lays out what `describe` found. What it adds
for a person reading the picture:
  1) names shortened as a learner writes them: `layers.0.neurons.3.w.1` is drawn `L0.n3.w1`
     (the full name is the node's tooltip in SVG);
  2) parameters grouped by neuron: every parameter named `<group>.<member>` (e.g. `L0.n3.w1`)
     is one row of its group's table (rows in natural order: w0, w1, ..., w15, b) instead of a
     box of its own;
  3) long lists collapsed (`collapse=N`): a run of rows w0..wK longer than N is drawn as its
     first N-2 rows, one row for the rest, and its last row; a sum chain `b + w0*x0 + w1*x1 + ...`
     (what an expanded neuron is) longer than N terms keeps its first N-2 and last terms and
     draws the middle ones as one '+ (K terms)' node whose data and grad are the chain's there;
  4) one number format everywhere (4 significant digits), and a legend of the colours;
  5) graph attributes (tight rank/node separation, `size`) so the seed model's graph fits about
     2000x2000 px at Graphviz's default 96 dpi.
"""

import html
import math
import re

PARAM_COLOR = "lightgreen"
INPUT_COLOR = "lightblue"
FUSED_COLOR = "lightyellow"  # op node of a fused (not expanded) node
FILLS = {"param": PARAM_COLOR, "input": INPUT_COLOR}  # boxes by GraphNode.kind
FONT = "Helvetica"
PORT_SIDE = {"LR": "e", "RL": "w", "TB": "s", "BT": "n"}  # where a table row's edge leaves
ABBREVIATIONS = {"layers": "L", "neurons": "n"}  # `layers.0.neurons.3` -> `L0.n3`
WRAP = 8  # top to bottom, a layer's neurons are drawn in rows of this many

# ---------------------------------------------------------------------- text


def format_number(x):
    """Every number in a picture: 4 significant digits, trailing zeros kept so columns line up
    ('0.5000', '-0.02350', '1.111', '1.000e-07'); -0.0 is drawn 0.000."""
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    return f"{x + 0.0:#.4g}"


def short_name(name):
    """`layers.0.neurons.3.w.1` -> `L0.n3.w1`: a word followed by an index becomes one part."""
    parts, out, i = str(name).split("."), [], 0
    while i < len(parts):
        word = parts[i]
        if i + 1 < len(parts) and parts[i + 1].isdigit() and word and not word.isdigit():
            out.append(ABBREVIATIONS.get(word, word) + parts[i + 1])
            i += 2
        else:
            out.append(word)
            i += 1
    return ".".join(out)


def _record(text):
    """Escape text for a DOT record label (braces, bars, angles, quotes are syntax)."""
    return re.sub(r'([{}|<>"\\])', r"\\\1", str(text)).replace("\n", "\\n")


def _quoted(text):
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _natural(text):
    """Sort key: w2 before w10, and a member without an index (b) after the indexed ones."""
    m = re.fullmatch(r"(.*?)(\d+)", text)
    return (0, m[1], int(m[2])) if m else (1, text, 0)


# ---------------------------------------------------------------------- collapsing


def kept(n, limit):
    """Which of n items a collapsed list draws: (head, tail) counts; everything when it fits."""
    if limit is None or n <= limit:
        return n, 0
    return limit - 2, 1


def fused_siblings(nodes, edges):
    """Groups (2+) of fused nodes with the same op and the same inputs besides their own
    parameters, in order: a layer's neurons. Lists of node indices."""
    kids = [[] for _ in nodes]
    for c, p in edges:
        if nodes[c].kind != "param":
            kids[p].append(c)
    groups = {}
    for i, n in enumerate(nodes):
        if n.fused:
            groups.setdefault((n.op, tuple(kids[i])), []).append(i)
    return [g for g in groups.values() if len(g) > 1]


class Drawing:
    """What gets drawn: the description's nodes plus summary nodes (each standing for several
    nodes left out, `hidden`), and edges child -> parent."""

    def __init__(self, graph):
        self.nodes = list(graph.nodes)
        self.edges = list(graph.edges)
        self.hidden = set()
        self.summaries = {}  # summary node index -> how many nodes it stands for
        self.many = set()  # summary nodes standing for several values (no one data/grad to show)

    def _uses(self):
        kids, parents = [[] for _ in self.nodes], [[] for _ in self.nodes]
        for c, p in self.edges:
            kids[p].append(c)
            parents[c].append(p)
        return kids, parents

    def collapse_siblings(self, limit, all_fused=False):
        """Draw the middle of a long run of sibling fused nodes (a wide layer's neurons; with
        all_fused every sibling left fused, as in an expanded view) as one node, their own
        parameters with them."""
        kids, parents = self._uses()
        for group in fused_siblings(self.nodes, self.edges):
            head, tail = (0, 0) if all_fused else kept(len(group), limit)
            members = group[head : len(group) - tail]
            if len(members) < 2:
                continue
            first, last, mset = self.nodes[members[0]], self.nodes[members[-1]], set(members)
            label = f"{first.label}..{last.label}" if first.label and last.label else ""
            s = len(self.nodes)
            self.nodes.append(first._replace(key=f"{first.key}_group", label=label, op=f"{len(members)} × {first.op}"))
            self.summaries[s] = len(members)
            self.many.add(s)
            own = {c for i in members for c in kids[i] if self.nodes[c].kind == "param" and set(parents[c]) <= mset}
            self.hidden |= mset | own
            edges, new = [], set()
            for c, p in self.edges:
                if c in own:
                    continue
                e = (c if c not in mset else s, p if p not in mset else s)
                if e != (c, p):  # one edge per distinct neighbour of the group
                    if e in new:
                        continue
                    new.add(e)
                edges.append(e)
            self.edges = edges
        return self

    def collapse_sums(self, limit):
        """Draw the middle of every long `acc + w*x` chain as one '+ (K terms)' node."""
        kids, parents = self._uses()

        def link(i):  # '+' of (acc, product) whose product is used only here
            k = kids[i]
            return self.nodes[i].op == "+" and len(k) == 2 and self.nodes[k[1]].op == "*" and len(parents[k[1]]) == 1

        in_chain = set()
        for end in reversed(range(len(self.nodes))):
            if end in in_chain or end in self.hidden or not link(end):
                continue
            chain = [end]
            while link(kids[chain[-1]][0]) and len(parents[kids[chain[-1]][0]]) == 1:
                chain.append(kids[chain[-1]][0])
            in_chain.update(chain)
            chain.reverse()
            head, tail = kept(len(chain), limit)
            if not tail:
                continue
            middle = chain[head : len(chain) - tail]
            last = middle[-1]
            s = len(self.nodes)  # the summary node: the chain's value after its middle terms
            self.nodes.append(self.nodes[last]._replace(key=f"{self.nodes[last].key}_sum", op=f"+ ({len(middle)} terms)"))
            self.summaries[s] = len(middle)
            self.hidden.update(middle)
            self.hidden.update(kids[i][1] for i in middle)
            new = [(kids[middle[0]][0], s)]
            for i in middle:  # the products' factors, one edge each
                new += [(c, s) for c in kids[kids[i][1]] if (c, s) not in new]
            self.edges = [(s if c == last else c, p) for c, p in self.edges if p not in self.hidden] + new
        return self


# ---------------------------------------------------------------------- parameter tables


class Table:
    """One group's parameters (a neuron's w0..wK and b) drawn as one HTML table node."""

    def __init__(self, key, name, members):
        self.key, self.name = key, name
        self.members = sorted(members, key=lambda m: _natural(m[0]))  # (member name, node index)
        self.port = {}  # node index -> port of its row
        self.rows = []  # (port, name, data, grad) or (port, "w2..w14", "13 more", "")
        self.collapsed = 0

    def layout(self, nodes, limit):
        runs = []  # consecutive members with the same stem: w0..w15 | b
        for name, i in self.members:
            stem = _natural(name)[1]
            if runs and runs[-1][0] == stem:
                runs[-1][1].append((name, i))
            else:
                runs.append((stem, [(name, i)]))
        for _, run in runs:
            head, tail = kept(len(run), limit)
            for j, (name, i) in enumerate(run):
                if j < head or j >= len(run) - tail:
                    port = f"p{len(self.rows)}"
                    self.rows.append((port, name, format_number(nodes[i].data), format_number(nodes[i].grad)))
                elif j == head:
                    port = f"p{len(self.rows)}"
                    hidden = len(run) - head - tail
                    self.rows.append((port, f"{name}..{run[-1 - tail][0]}", f"{hidden} more", ""))
                    self.collapsed += hidden
                self.port[i] = port
        return self

    def label(self, full):
        esc = html.escape
        head = (
            f'<TR><TD ALIGN="LEFT" TOOLTIP="{esc(full)}"><B>{esc(self.name)}</B></TD>'
            '<TD ALIGN="RIGHT"><I>data</I></TD><TD ALIGN="RIGHT"><I>grad</I></TD></TR>'
        )
        rows = [
            f'<TR><TD ALIGN="LEFT">{esc(n)}</TD><TD ALIGN="RIGHT">{esc(d)}</TD><TD ALIGN="RIGHT" PORT="{p}">{esc(g)}</TD></TR>'
            for p, n, d, g in self.rows
        ]
        return (
            f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="2" BGCOLOR="{PARAM_COLOR}">'
            + head
            + "".join(rows)
            + "</TABLE>>"
        )


def group_tables(nodes, hidden, limit):
    """{node index: Table} for parameters named `<group>.<member>` with 2+ members in the group."""
    groups = {}
    for i, n in enumerate(nodes):
        if n.kind == "param" and i not in hidden and n.label:
            name = short_name(n.label)
            if "." in name:
                group, member = name.rsplit(".", 1)
                groups.setdefault(group, []).append((member, i))
    out = {}
    for g, (group, members) in enumerate(groups.items()):
        if len(members) > 1:
            table = Table(f"g{g}", group, members).layout(nodes, limit)
            out.update((i, table) for _, i in members)
    return out


# ---------------------------------------------------------------------- DOT lines


def legend_lines(kinds, fused, collapsed, merge_ops):
    """The legend: one small table naming what this picture's boxes and colours mean."""
    if merge_ops:
        rows = [("white", "box: name, op, data, grad")]
    else:
        rows = [("white", "box: name, data, grad"), ("white", "ellipse: the op making the box")]
    rows.append(("white", "grad = d(root)/d(box)"))
    if "param" in kinds:
        rows.append((PARAM_COLOR, "parameters (a table per neuron)"))
    if "input" in kinds:
        rows.append((INPUT_COLOR, "input"))
    if fused:
        rows.append((FUSED_COLOR, "fused op: several ops as one"))
    if collapsed:
        rows.append(("white", "w2..w14, + (K terms): K as one"))
    cells = "".join(f'<TR><TD BGCOLOR="{c}" WIDTH="14"> </TD><TD ALIGN="LEFT">{html.escape(t)}</TD></TR>' for c, t in rows)
    table = (
        '<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="2">'
        f'<TR><TD COLSPAN="2"><B>legend</B></TD></TR>{cells}</TABLE>>'
    )
    return [f"  legend [shape=plain, fontsize=8, label={table}];"]


def dot_lines(graph, rankdir="LR", collapse=None, legend=True, fit_inches=20.0, merge_ops=False):
    """DOT lines (without the `digraph {` / `}` around them) drawing `graph`.

    merge_ops: draw each op inside its value's box (op, data, grad stacked) instead of as an
    ellipse of its own: half the ranks, narrow boxes, so a long expanded graph fits a screen.
    """
    drawing = Drawing(graph)
    if collapse is not None:
        drawing.collapse_siblings(collapse, all_fused=merge_ops).collapse_sums(collapse)
    nodes, hidden = drawing.nodes, drawing.hidden
    tables = group_tables(nodes, hidden, collapse)
    size = f', size="{fit_inches:g},{fit_inches:g}"' if fit_inches else ""
    lines = [
        f"  graph [rankdir={rankdir}, newrank=true, ordering=out, nodesep=0.08, ranksep=0.16{size}, fontname={FONT}];",
        f'  node [fontname={FONT}, fontsize=10, height=0.25, margin="0.05,0.02"];',
        '  edge [arrowsize=0.5, color="#444444"];',
    ]
    # a record's top-level fields run across in TB and down in LR; braces flip them
    stacked = merge_ops or rankdir in ("TB", "BT")
    braces = stacked != (rankdir in ("LR", "RL"))
    seen = set()
    for i, node in enumerate(nodes):
        if i in hidden:
            continue
        table = tables.get(i)
        if table is not None:
            if table.key not in seen:
                seen.add(table.key)
                full = node.label.rsplit(".", 1)[0] if node.label else table.name
                lines.append(f"  {table.key} [shape=plain, label={table.label(full)}];")
            continue
        label = short_name(node.label) if node.label else ""
        fields = [_record(label)] if label else []
        if merge_ops and node.op:
            fields.append(_record(node.op))
        if i in drawing.many:
            fields.append(f"{drawing.summaries[i]} values")
        else:
            fields += [f"data {format_number(node.data)}", f"grad {format_number(node.grad)}"]
        body = " | ".join(fields)
        attrs = f'shape=record, label="{{ {body} }}"' if braces else f'shape=record, label="{body}"'
        fill = FUSED_COLOR if merge_ops and node.fused else FILLS.get(node.kind)
        style = ["filled"] if fill else []
        style += ["dashed"] if merge_ops and i in drawing.summaries else []
        if style:
            attrs += f', style="{",".join(style)}"' + (f', fillcolor="{fill}"' if fill else "")
        if label and label != node.label:
            attrs += f", tooltip={_quoted(node.label)}"
        lines.append(f"  {node.key} [{attrs}];")
        if node.op and not merge_ops:  # the small node naming the op that made this value
            shade = f', style=filled, fillcolor="{FUSED_COLOR}"' if node.fused else ""
            if i in drawing.summaries:
                shade = shade.replace("style=filled", 'style="filled,dashed"') if shade else ", style=dashed"
            lines.append(f'  {node.key}_op [label="{_record(node.op)}"{shade}];')
            lines.append(f"  {node.key}_op -> {node.key};")
    lines += edge_lines(drawing, tables, rankdir, "" if merge_ops else "_op")
    if rankdir in ("TB", "BT"):
        lines += wrap_lines(drawing, tables, "" if merge_ops else "_op")
    if legend:
        kinds = {n.kind for i, n in enumerate(nodes) if i not in hidden}
        fused = any(n.fused for i, n in enumerate(nodes) if i not in hidden)
        collapsed = bool(drawing.summaries) or any(t.collapsed for t in tables.values())
        lines += legend_lines(kinds, fused, collapsed, merge_ops)
    return lines


def wrap_lines(drawing, tables, op_suffix, width=WRAP):
    """Top to bottom, a layer of more than `width` neurons side by side is wider than a screen:
    invisible edges put neuron k+width's drawing (its table, else its op) below neuron k's value."""
    lines, nodes = [], drawing.nodes
    for group in fused_siblings(nodes, drawing.edges):
        group = [i for i in group if i not in drawing.hidden]
        for above, below in zip(group, group[width:]):
            table = next((tables[c] for c, p in drawing.edges if p == below and c in tables), None)
            lines.append(f"  {nodes[above].key} -> {table.key if table else nodes[below].key + op_suffix} [style=invis];")
    return lines


def edge_lines(drawing, tables, rankdir, op_suffix):
    """One edge per use, child value -> the op node of its parent; a table whose rows all feed
    one node (a neuron's parameters in the compact view) sends it one edge."""
    nodes, lines, done = drawing.nodes, [], set()
    targets = {}
    for c, p in drawing.edges:
        if c in tables:
            targets.setdefault(tables[c].key, set()).add(p)
    side = PORT_SIDE[rankdir]
    for c, p in drawing.edges:
        head = nodes[p].key + op_suffix
        if c in tables:
            table = tables[c]
            tail = table.key if len(targets[table.key]) == 1 else f"{table.key}:{table.port[c]}:{side}"
            if (tail, head) in done:  # a collapsed row feeds a summary node once
                continue
            done.add((tail, head))
        else:
            tail = nodes[c].key
        lines.append(f"  {tail} -> {head};")
    return lines
