"""Train an MLP on scikit-learn's 8x8 digits with Adam: loss and accuracy per epoch.

    python examples/train_mlp.py [--epochs 30] [--batch-size 64] [--lr 1e-3]
"""
import argparse
import sys
import time

import numpy as np

import fastnn
from fastnn import nn, optim
from fastnn.data import DataLoader
from fastnn.nn import functional as F


def progress(epoch, epochs, done, total, loss, width=30):
    filled = int(width * done / total)
    sys.stdout.write(f"\repoch {epoch:2d}/{epochs} [{'=' * filled}{'.' * (width - filled)}] "
                     f"{done:4d}/{total} loss {loss:.4f}")
    sys.stdout.flush()


@fastnn.no_grad()
def accuracy(model, dataset):
    model.eval()
    x, y = dataset.tensors
    correct = (model(x).argmax(1) == y).sum().item()
    model.train()
    return correct / len(dataset)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    fastnn.manual_seed(args.seed)
    train, test = fastnn.datasets.load_digits(seed=args.seed)
    loader = DataLoader(train, batch_size=args.batch_size, shuffle=True)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.1), nn.Linear(128, 64), nn.GELU(),
                          nn.Linear(64, 10))
    opt = optim.Adam(model.parameters(), lr=args.lr)
    print(model)
    print(f"train {len(train)} / test {len(test)} images; backend {fastnn.backend_info()['isa']}, "
          f"{fastnn.get_num_threads()} thread(s)")

    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        losses, seen = [], 0
        for x, y in loader:
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
            seen += len(y)
            if len(losses) % 5 == 0 or seen == len(train):
                progress(epoch, args.epochs, seen, len(train), np.mean(losses))
        print(f"  train acc {accuracy(model, train):.3f}  test acc {accuracy(model, test):.3f}  "
              f"({time.perf_counter() - start:.1f}s)")
    final = accuracy(model, test)
    print(f"final test accuracy {final:.4f} in {time.perf_counter() - start:.1f}s")
    return final


if __name__ == "__main__":
    main()
