"""Writes reference values for the RefrainLearn tests (Tests/Fixtures/learn/).

Run: VENV/bin/python scripts/reference/learn_torch.py   (needs torch, scikit-learn < 1.6 and metric-learn 0.7,
which calls a scikit-learn argument removed in 1.6)
Sources: PyTorch (torch.nn layers, autograd in float64 for every gradient, torch.optim), scikit-learn
(PCA; LinearDiscriminantAnalysis, solver="eigen"), metric-learn (LMNN) and scikit-learn's KNeighborsClassifier.
PyTorch is a reference here, never a dependency of Refrain: the fixtures are committed.

Every layer is checked with the loss sum(y * g) for a random g, so that the gradients saved are exactly the
backward pass of g. The losses are written from their papers' definitions (the same choices as the Swift
doc comments: Euclidean distances clamped at 1e-12 under the root, ties to the lowest index) and
differentiated by autograd.
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
out = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "Fixtures", "learn")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(20160415)
meta = {}


def save(name, array, dtype=np.float32):
    np.save(os.path.join(out, name + ".npy"), np.ascontiguousarray(np.asarray(array), dtype=dtype))


def t(a, grad=True):
    x = torch.tensor(np.asarray(a, dtype=np.float32).astype(np.float64))
    x.requires_grad_(grad)
    return x


def rand(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def layer_case(name, x_np, params, fn):
    """Forward fn(x, *params), loss sum(y * g); saves x, params, y, g, dx, dparams."""
    x = t(x_np)
    ps = [t(p) for p in params]
    y = fn(x, *ps)
    g = rand(*y.shape)
    (y * t(g, False)).sum().backward()
    save(f"{name}_x", x_np)
    for i, p in enumerate(params):
        save(f"{name}_p{i}", p)
        save(f"{name}_dp{i}", ps[i].grad.numpy())
    save(f"{name}_y", y.detach().numpy())
    save(f"{name}_g", g)
    save(f"{name}_dx", x.grad.numpy())


# Layers.
layer_case("dense", rand(4, 6), [rand(5, 6), rand(5)], lambda x, w, b: F.linear(x, w, b))
layer_case("dense_seq", rand(2, 3, 6), [rand(4, 6), rand(4)], lambda x, w, b: F.linear(x, w, b))
layer_case("conv2d", rand(2, 2, 7, 9), [rand(3, 2, 3, 4), rand(3)],
           lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=(1, 2)))
layer_case("conv2d_s2", rand(1, 3, 8, 8), [rand(2, 3, 3, 3), rand(2)],
           lambda x, w, b: F.conv2d(x, w, b, stride=(2, 2), padding=(1, 1)))
layer_case("conv1d", rand(2, 3, 10), [rand(4, 3, 3), rand(4)], lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1))
layer_case("maxpool", rand(2, 3, 6, 7), [], lambda x: F.max_pool2d(x, (2, 2), (2, 2)))
layer_case("maxpool_s", rand(1, 2, 7, 7), [], lambda x: F.max_pool2d(x, (3, 2), (2, 1)))
layer_case("relu", rand(4, 6), [], F.relu)
layer_case("tanh", rand(4, 6), [], torch.tanh)
layer_case("sigmoid", rand(4, 6), [], torch.sigmoid)
layer_case("softmax", rand(4, 6), [], lambda x: F.softmax(x, dim=-1))
layer_case("layernorm", rand(3, 4, 6), [rand(6), rand(6)], lambda x, w, b: F.layer_norm(x, (6,), w, b, 1e-5))
layer_case("l2normalize", rand(5, 8), [], lambda x: F.normalize(x, dim=-1, eps=1e-12))

lengths = [7, 4, 1]


def attention(h, w, b, lengths=lengths):
    scores = F.linear(h, w, b).squeeze(-1)  # batch x steps
    steps = h.shape[1]
    mask = torch.arange(steps)[None, :] < torch.tensor(lengths)[:, None]
    scores = scores.masked_fill(~mask, float("-inf"))
    alpha = F.softmax(scores, dim=1)
    return (alpha.unsqueeze(-1) * h).sum(1)


layer_case("attention", rand(3, 7, 5), [rand(1, 5), rand(1)], attention)
save("attention_lengths", lengths, np.int64)


# A small network end to end: conv2d, relu, maxpool, to-sequence, dense, tanh, attention, dense, l2 normalise.
def network(x, w1, b1, w2, b2, wa, ba, w3, b3):
    y = F.max_pool2d(F.relu(F.conv2d(x, w1, b1, padding=(1, 1))), 2)          # 2 x 3 x 6 x 4
    y = y.permute(0, 2, 1, 3).flatten(2)                                      # 2 x 6 x 12
    y = torch.tanh(F.linear(y, w2, b2))                                       # 2 x 6 x 10
    y = attention(y, wa, ba, lengths=[6, 3])
    return F.normalize(F.linear(y, w3, b3), dim=-1)


layer_case("network", rand(2, 1, 12, 8), [rand(3, 1, 3, 3) * 0.5, rand(3) * 0.1, rand(10, 12) * 0.3, rand(10) * 0.1,
                                          rand(1, 10), rand(1), rand(4, 10) * 0.3, rand(4) * 0.1], network)
save("network_lengths", [12, 7], np.int64)


# Losses (autograd of direct definitions).
def pdist(e):
    n = e.shape[0]
    d = [[None] * n for _ in range(n)]
    for i in range(n):
        for j in range(n):
            d[i][j] = torch.sqrt(torch.clamp(((e[i] - e[j]) ** 2).sum(), min=1e-12))
    return d


def triplet(e, labels, margin, mining):
    n = e.shape[0]
    d = pdist(e)
    dv = [[d[i][j].item() for j in range(n)] for i in range(n)]
    trips = []
    if mining == "all":
        for a in range(n):
            for p in range(n):
                if p != a and labels[p] == labels[a]:
                    for q in range(n):
                        if labels[q] != labels[a]:
                            trips.append((a, p, q))
    elif mining == "semihard":
        for a in range(n):
            for p in range(n):
                if p != a and labels[p] == labels[a]:
                    neg = [q for q in range(n) if labels[q] != labels[a]]
                    outside = [q for q in neg if dv[a][q] > dv[a][p]]
                    if outside:
                        q = min(outside, key=lambda q: (dv[a][q], q))
                    else:
                        q = max(neg, key=lambda q: (dv[a][q], -q))
                    trips.append((a, p, q))
    else:
        for a in range(n):
            pos = [q for q in range(n) if q != a and labels[q] == labels[a]]
            neg = [q for q in range(n) if labels[q] != labels[a]]
            if pos and neg:
                p = max(pos, key=lambda q: (dv[a][q], -q))
                q = min(neg, key=lambda q: (dv[a][q], q))
                trips.append((a, p, q))
    losses = [torch.clamp(d[a][p] - d[a][q] + margin, min=0) for a, p, q in trips]
    if mining == "all":
        active = sum(1 for l in losses if l.item() > 0)
        return sum(losses) / max(active, 1)
    return sum(losses) / len(losses)


labels = [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2]
emb = rand(12, 4) * 0.7
for mining in ["all", "semihard", "hard"]:
    e = t(emb)
    loss = triplet(e, labels, 0.5, mining)
    loss.backward()
    save(f"triplet_{mining}_value", [loss.item()])
    save(f"triplet_{mining}_grad", e.grad.numpy())
save("triplet_embeddings", emb)
save("triplet_labels", labels, np.int64)

# Hashing loss (Raffel & Ellis 2015).
hx, hy = rand(8, 4), rand(8, 4)
neg = rng.permutation(8)
neg = np.where(neg == np.arange(8), (neg + 1) % 8, neg)
x, y = t(hx), t(hy)
margin, alpha = 6.0, 2.0
loss = ((x - y) ** 2).sum(1).mean() + alpha * torch.clamp(margin - ((x - y[neg]) ** 2).sum(1), min=0).mean()
loss.backward()
for k, v in {"x": hx, "y": hy, "dx": x.grad.numpy(), "dy": y.grad.numpy()}.items():
    save(f"hashing_{k}", v)
save("hashing_negatives", neg, np.int64)
save("hashing_value", [loss.item()])

# Contrastive loss (Hadsell et al. 2006).
ca, cb = rand(8, 4), rand(8, 4)
sim = np.array([1, 0, 1, 0, 0, 1, 0, 0], dtype=np.int64)
a, b = t(ca), t(cb)
dist = torch.sqrt(torch.clamp(((a - b) ** 2).sum(1), min=1e-12))
s = torch.tensor(sim, dtype=torch.float64)
loss = (s * 0.5 * ((a - b) ** 2).sum(1) + (1 - s) * 0.5 * torch.clamp(3.0 - dist, min=0) ** 2).mean()
loss.backward()
for k, v in {"a": ca, "b": cb, "da": a.grad.numpy(), "db": b.grad.numpy()}.items():
    save(f"contrastive_{k}", v)
save("contrastive_similar", sim, np.int64)
save("contrastive_value", [loss.item()])

# Normalised softmax with temperature.
ne, nw = rand(8, 5), rand(3, 5)
nl = np.array([0, 1, 2, 2, 1, 0, 0, 1], dtype=np.int64)
e, w = t(ne), t(nw)
logits = F.normalize(e, dim=1) @ F.normalize(w, dim=1).T / 0.1
loss = F.cross_entropy(logits, torch.tensor(nl))
loss.backward()
for k, v in {"e": ne, "w": nw, "de": e.grad.numpy(), "dw": w.grad.numpy()}.items():
    save(f"normsoftmax_{k}", v)
save("normsoftmax_labels", nl, np.int64)
save("normsoftmax_value", [loss.item()])

# Prototypical softmax over normalised embeddings (prototypes from the whole batch).
pe = rand(9, 5)
pl = np.array([3, 7, 3, 9, 7, 9, 3, 7, 9], dtype=np.int64)
e = t(pe)
z = F.normalize(e, dim=1)
classes = sorted(set(pl.tolist()))
protos = torch.stack([z[torch.tensor(pl == c)].mean(0) for c in classes])
logits = -((z[:, None, :] - protos[None, :, :]) ** 2).sum(-1) / 0.5
target = torch.tensor([classes.index(c) for c in pl])
loss = F.cross_entropy(logits, target)
loss.backward()
save("prototype_e", pe)
save("prototype_labels", pl, np.int64)
save("prototype_de", e.grad.numpy())
save("prototype_value", [loss.item()])


# Soft-DTW loss: the recursion in float64 under autograd, squared Euclidean costs.
def soft_dtw(x, y, gamma):
    c = ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)
    n, m = c.shape
    inf = torch.tensor(float("inf"))
    r = [[inf] * (m + 1) for _ in range(n + 1)]
    r[0][0] = torch.tensor(0.0)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            prev = torch.stack([r[i - 1][j - 1], r[i - 1][j], r[i][j - 1]])
            r[i][j] = c[i - 1, j - 1] - gamma * torch.logsumexp(-prev / gamma, 0)
    return r[n][m]


sx, sy = rand(7, 3), rand(9, 3)
x, y = t(sx), t(sy)
loss = soft_dtw(x, y, 0.5)
loss.backward()
for k, v in {"x": sx, "y": sy, "dx": x.grad.numpy(), "dy": y.grad.numpy()}.items():
    save(f"softdtw_{k}", v)
save("softdtw_value", [loss.item()])

# Optimisers: five steps from one start with given gradients (torch.optim, float32 like Refrain).
p0 = rand(10)
grads = rand(5, 10)
save("optim_start", p0)
save("optim_grads", grads)
for name, make in {"sgd": lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.9),
                   "rmsprop": lambda p: torch.optim.RMSprop([p], lr=0.01),
                   "adam": lambda p: torch.optim.Adam([p], lr=0.01)}.items():
    p = torch.tensor(p0, dtype=torch.float32, requires_grad=True)
    opt = make(p)
    trace = []
    for k in range(5):
        p.grad = torch.tensor(grads[k], dtype=torch.float32)
        opt.step()
        trace.append(p.detach().numpy().copy())
    save(f"optim_{name}", np.stack(trace))
g = torch.tensor(grads[0], dtype=torch.float32)
p = torch.zeros(10, dtype=torch.float32, requires_grad=True)
p.grad = g.clone()
norm = torch.nn.utils.clip_grad_norm_([p], 1.0)
save("clip_norm_grad", p.grad.numpy())
save("clip_norm_value", [norm.item()])

# Linear discriminant analysis (scikit-learn, eigen solver) on 3 classes in 6 dimensions.
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.neighbors import KNeighborsClassifier

means = rng.standard_normal((3, 6)) * 2
cov = rng.standard_normal((6, 6))
cov = cov @ cov.T / 6 + np.eye(6) * 0.2
lx = np.concatenate([rng.multivariate_normal(m, cov, 40) for m in means]).astype(np.float32)
ly = np.repeat(np.arange(3), 40)
lda = LinearDiscriminantAnalysis(solver="eigen").fit(lx, ly)
save("lda_x", lx)
save("lda_y", ly, np.int64)
save("lda_scalings", lda.scalings_[:, :2].T)  # 2 x 6, one axis per row
save("lda_transform", lda.transform(lx))

# LMNN (metric-learn) where Euclidean kNN fails: 2 informative dimensions, 6 of loud noise.
import metric_learn


def lmnn_data(n):
    y = rng.integers(0, 3, n)
    centres = np.array([[0, 0], [1.2, 0], [0.6, 1.0]])
    informative = centres[y] + rng.standard_normal((n, 2)) * 0.25
    noise = rng.standard_normal((n, 6)) * 1.5
    return np.concatenate([informative, noise], 1).astype(np.float32), y


mx, my = lmnn_data(150)
tx, ty = lmnn_data(300)
lmnn = metric_learn.LMNN(n_neighbors=3, learn_rate=1e-6, max_iter=500, random_state=0).fit(mx, my)


def knn_accuracy(train, trainy, test, testy):
    return float(KNeighborsClassifier(3).fit(train, trainy).score(test, testy))


meta["lmnn_accuracy_metric_learn"] = knn_accuracy(lmnn.transform(mx), my, lmnn.transform(tx), ty)
meta["lmnn_accuracy_euclidean"] = knn_accuracy(mx, my, tx, ty)
save("lmnn_train_x", mx)
save("lmnn_train_y", my, np.int64)
save("lmnn_test_x", tx)
save("lmnn_test_y", ty, np.int64)

# PCA (scikit-learn) on correlated data: the leading 3 axes and the projection.
from sklearn.decomposition import PCA

px = (rng.standard_normal((200, 7)) @ rng.standard_normal((7, 7))).astype(np.float32)
pca = PCA(n_components=3).fit(px)
save("pca_x", px)
save("pca_components", pca.components_)
save("pca_variance", pca.explained_variance_)
save("pca_transform", pca.transform(px))

meta["torch"] = torch.__version__
meta["metric_learn"] = metric_learn.__version__ if hasattr(metric_learn, "__version__") else "0.7"
with open(os.path.join(out, "meta.json"), "w") as f:
    json.dump(meta, f, indent=1)
print(json.dumps(meta, indent=1))
