"""micrograd.web.trace — the compute graph of one datapoint as the page draws it (JSON).

    fused = micrograd.viz.graph.describe(loss, labels=..., params=..., inputs=...)
    graph_json(fused, neurons, point, inputs, input_labels, last_layer, regression)
    expanded_json(describe(loss, expand=True, ...).leaves_first())

`session.Session.trace` builds the graph (the scalar twin of the training model, gradients zeroed
before and after); this module only turns a described graph into the page's nodes and edges: a
neuron is one fused node named "layers.L.neurons.J", the loss one node (the cross-entropy's softmax
+ NLL, or a regression run's squared error).
"""

import math


def _f(x, digits=6):
    """A float for JSON: finite, rounded (NaN/inf become None: JSON has no such numbers)."""
    return round(x, digits) if math.isfinite(x) else None


def _loss_node(label, regression):
    if regression:
        return {
            "kind": "loss",
            "label": f"squared error y={label:.4g}",
            "title": f"loss = (prediction - {label:.6g})² (the run's MSE for this one point)",
        }
    return {
        "kind": "loss",
        "label": f"cross_entropy y={label}",
        "title": f"loss = -log softmax(logits)[{label}] (softmax + NLL, one fused node)",
    }


def graph_json(graph, neurons, point, inputs, input_labels, last, regression=False):
    """The fused graph for the page: nodes as {data, grad, kind, label, title}; edges as [child index,
    parent index]. A neuron is one fused node (op 'dot', or 'tanh(dot)' / 'relu(dot)' with its
    activation), named "layers.L.neurons.J" by the caller (`neurons`: name -> (layer, index)).
    `inputs` are the run's feature names, `input_labels` the graph's names of them, `last` the
    output layer's index."""
    label = point[2]
    out = []
    for n in graph.nodes:
        node = {"data": _f(n.data, 9), "grad": _f(n.grad, 9)}
        if n.kind == "param":
            node.update(kind="param", label=n.label, title=f"parameter {n.label}")
        elif n.kind == "input":
            k = input_labels.index(n.label)
            node.update(kind="input", label=n.label, title=f"input {k} ({inputs[k]}) of the datapoint")
        elif n.kind == "const":
            node.update(kind="const", label="const", title="a constant")
        elif n.label in neurons:
            layer, j = neurons[n.label]
            act = n.op.split("(")[0] if n.op.endswith("(dot)") else None
            formula = f"{act}(b+Σw·x)" if act else "b+Σw·x"
            if layer == last and regression:
                node.update(kind="op", label=f"prediction = {n.op}", title=f"the output neuron (the prediction): {formula}")
            elif layer == last:
                node.update(
                    kind="op", label=f"logit {j} = {n.op}", title=f"output neuron {j} (logit {j}): {formula}, one fused node"
                )
            else:
                node.update(
                    kind="op", label=f"L{layer}.n{j} {n.op}", title=f"neuron {j} of layer {layer}: {formula}, one fused node"
                )
        elif n.label == "loss":
            node.update(_loss_node(label, regression))
        else:
            node.update(kind="op", label=n.op, title=f"op {n.op}")
        out.append(node)
    return {"nodes": out, "edges": [list(e) for e in graph.edges], "point": {"x": point[0], "y": point[1], "label": label}}


def expanded_json(graph):
    """The graph with fused nodes drawn as their primitive ops, in the same JSON shape."""
    out = []
    for n in graph.nodes:
        node = {"data": _f(n.data, 9), "grad": _f(n.grad, 9)}
        if n.kind == "param":
            node.update(kind="param", label=n.label, title=f"parameter {n.label}")
        elif n.kind == "input":
            node.update(kind="input", label=n.label, title="input coordinate of the datapoint")
        elif n.label == "loss":
            node.update(kind="loss", label=f"loss = {n.op}", title="the loss (the last op of its chain)")
        elif n.kind == "const":
            node.update(kind="const", label=f"const {n.op}".strip(), title="a constant of the primitive graph")
        else:
            node.update(kind="op", label=n.op + (" (fused)" if n.fused else ""), title=f"op {n.op}")
        out.append(node)
    return {"nodes": out, "edges": [list(e) for e in graph.edges], "expanded": True}
