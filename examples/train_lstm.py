"""Classify handwritten digits read row by row: each 8x8 image of scikit-learn's
digits is a sequence of 8 steps of 8 pixels, read by an LSTM; Adam; loss and
accuracy per epoch.

    python examples/train_lstm.py [--epochs 40] [--hidden 64]
"""
import argparse
import sys
import time

import numpy as np

import fastnn
from fastnn import nn, optim
from fastnn.data import DataLoader
from fastnn.nn import functional as F


class RowReader(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.lstm = nn.LSTM(8, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 10)

    def forward(self, images):
        rows = images.reshape(images.shape[0], 8, 8)  # (batch, 8 steps, 8 features)
        _, (h_n, _) = self.lstm(rows)
        return self.head(h_n[0])


@fastnn.no_grad()
def accuracy(model, dataset):
    x, y = dataset.tensors
    return (model(x).argmax(1) == y).sum().item() / len(dataset)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    fastnn.manual_seed(args.seed)
    train, test = fastnn.datasets.load_digits(seed=args.seed)
    loader = DataLoader(train, batch_size=64, shuffle=True)
    model = RowReader(args.hidden)
    opt = optim.Adam(model.parameters(), lr=args.lr)
    print(model)
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        losses = []
        for x, y in loader:
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        sys.stdout.write(f"\repoch {epoch:2d}/{args.epochs} loss {np.mean(losses):.4f} "
                         f"test acc {accuracy(model, test):.3f} ({time.perf_counter() - start:.1f}s)")
        sys.stdout.flush()
    print()
    final = accuracy(model, test)
    print(f"final test accuracy {final:.4f} in {time.perf_counter() - start:.1f}s")
    return final


if __name__ == "__main__":
    main()
