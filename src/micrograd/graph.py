"""micrograd.graph — walking a compute graph, without recursion.

One traversal serves everything that walks a graph: `Value.backward()`, the graph
views in `micrograd.viz`, and the tests. It is iterative (an explicit stack), so a
graph may be as deep as memory allows; Python's recursion limit never comes into it.

A node is anything with a `_prev` tuple of children (a `Value`).
"""


def topo_order(root):
    """All nodes reachable from `root`, children before parents (root last).

    Depth-first post-order with an explicit stack. A `None` on the stack marks
    "all children of the node below me are done: emit it".
    """
    order = []
    visited = set()
    stack = [root]
    push, pop, emit, mark = stack.append, stack.pop, order.append, visited.add
    while stack:
        v = pop()
        if v is None:  # children finished: emit their parent
            emit(pop())
            continue
        if v in visited:  # reached again by another path
            continue
        mark(v)
        prev = v._prev
        if prev:
            push(v)
            push(None)
            for child in reversed(prev):  # so prev[0] is walked first, as recursion would
                if child not in visited:
                    push(child)
        else:
            emit(v)
    return order


def trace(root):
    """(nodes, edges) of the graph below `root`: nodes in topological order,
    edges as (child, parent) pairs, one per use (a node used twice gives two edges)."""
    nodes = topo_order(root)
    edges = [(child, v) for v in nodes for child in v._prev]
    return nodes, edges
