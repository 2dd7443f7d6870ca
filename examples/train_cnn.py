"""Train a small CNN on generated images of 10 shape classes (no download) with
SGD + momentum: loss, accuracy and images/s per epoch.

    python examples/train_cnn.py [--epochs 8] [--batch-size 64] [--lr 0.05]
"""
import argparse
import sys
import time

import numpy as np

import fastnn
from fastnn import nn, optim
from fastnn.data import DataLoader
from fastnn.nn import functional as F


def make_model():
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 8 * 8, 128), nn.ReLU(), nn.Linear(128, 10))


def progress(epoch, epochs, done, total, loss, rate, width=30):
    filled = int(width * done / total)
    sys.stdout.write(f"\repoch {epoch:2d}/{epochs} [{'=' * filled}{'.' * (width - filled)}] "
                     f"{done:5d}/{total} loss {loss:.4f} {rate:6.0f} img/s")
    sys.stdout.flush()


@fastnn.no_grad()
def accuracy(model, dataset, batch_size=500):
    model.eval()
    correct = 0
    for x, y in DataLoader(dataset, batch_size=batch_size):
        correct += (model(x).argmax(1) == y).sum().item()
    model.train()
    return correct / len(dataset)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--train-size", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    fastnn.manual_seed(args.seed)
    train, test = fastnn.datasets.make_shapes(n_train=args.train_size, n_test=2000, seed=args.seed)
    loader = DataLoader(train, batch_size=args.batch_size, shuffle=True)
    model = make_model()
    opt = optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    print(model)
    print(f"train {len(train)} / test {len(test)} images of {len(fastnn.datasets.SHAPE_CLASSES)} shapes; "
          f"backend {fastnn.backend_info()['isa']}, {fastnn.get_num_threads()} thread(s)")

    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        losses, seen, epoch_start = [], 0, time.perf_counter()
        for x, y in loader:
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
            seen += len(y)
            if len(losses) % 10 == 0 or seen == len(train):
                progress(epoch, args.epochs, seen, len(train), np.mean(losses[-50:]),
                         seen / (time.perf_counter() - epoch_start))
        sched.step()
        rate = len(train) / (time.perf_counter() - epoch_start)
        print(f"  test acc {accuracy(model, test):.4f}  {rate:.0f} img/s  ({time.perf_counter() - start:.0f}s)")
    final = accuracy(model, test)
    print(f"final test accuracy {final:.4f} in {time.perf_counter() - start:.1f}s")
    return final


if __name__ == "__main__":
    main()
