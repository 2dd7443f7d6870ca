"""Sort (or reverse) sequences of digits with a small transformer encoder: token and
position embeddings, 2 pre-norm blocks of MultiheadAttention + MLP with
residuals, AdamW; loss and held-out token accuracy per epoch.

    python examples/train_transformer.py [--task sort|reverse] [--epochs 8] [--length 16]
"""
import argparse
import sys
import time

import numpy as np

import fastnn
from fastnn import nn, optim
from fastnn.data import DataLoader, TensorDataset
from fastnn.nn import functional as F

VOCAB = 10  # the digits 0-9


def digit_task(task, count, length, seed):
    """Random digit sequences and the same sequences sorted or reversed."""
    digits = np.random.default_rng(seed).integers(0, VOCAB, size=(count, length))
    target = np.sort(digits, axis=1) if task == "sort" else digits[:, ::-1].copy()
    return TensorDataset(fastnn.tensor(digits), fastnn.tensor(target))


class Block(nn.Module):
    def __init__(self, width, heads, hidden):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.attn = nn.MultiheadAttention(width, heads, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(width, hidden), nn.GELU(), nn.Linear(hidden, width))

    def forward(self, x):
        h = self.norm1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]  # need_weights=False: the fused kernel
        return x + self.mlp(self.norm2(x))


class Encoder(nn.Module):
    def __init__(self, length, width=64, heads=4, hidden=128, blocks=2):
        super().__init__()
        self.tokens, self.positions = nn.Embedding(VOCAB, width), nn.Embedding(length, width)
        self.blocks = nn.ModuleList([Block(width, heads, hidden) for _ in range(blocks)])
        self.norm, self.head = nn.LayerNorm(width), nn.Linear(width, VOCAB)
        self.where = np.arange(length)

    def forward(self, digits):
        x = self.tokens(digits) + self.positions(self.where)
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x))


@fastnn.no_grad()
def token_accuracy(model, dataset):
    x, y = dataset.tensors
    return (model(x).argmax(-1) == y).float().mean().item()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=["sort", "reverse"], default="sort")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--length", type=int, default=16)
    parser.add_argument("--train-size", type=int, default=20000)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    fastnn.manual_seed(args.seed)
    train = digit_task(args.task, args.train_size, args.length, seed=args.seed)
    test = digit_task(args.task, 2000, args.length, seed=args.seed + 1)
    loader = DataLoader(train, batch_size=64, shuffle=True)
    model = Encoder(args.length)
    opt = optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    steps = args.epochs * len(loader)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    print(model)
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        losses = []
        for i, (x, y) in enumerate(loader, 1):
            loss = F.cross_entropy(model(x).reshape(-1, VOCAB), y.reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            scheduler.step()
            losses.append(loss.item())
            if i % 20 == 0 or i == len(loader):
                bar = "#" * (30 * i // len(loader))
                sys.stdout.write(f"\repoch {epoch}/{args.epochs} [{bar:<30}] loss {np.mean(losses):.4f}")
                sys.stdout.flush()
        print(f"  held-out token acc {token_accuracy(model, test):.4f} ({time.perf_counter() - start:.1f}s)")
    final = token_accuracy(model, test)
    print(f"final test accuracy {final:.4f} (tokens of held-out sequences) in {time.perf_counter() - start:.1f}s")
    return final


if __name__ == "__main__":
    main()
