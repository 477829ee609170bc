"""The plain WGAN-GP step of `npm run bench:step` in PyTorch, as a measuring aid (issue 7).

Not a project dependency: run it with Debian's interpreter after `apt-get install -y python3-torch`,
    /usr/bin/python3 tools/bench/plain_wgan_gp_torch.py [--steps 30]
(`npm run bench:step -- --torch` runs it beside the tfjs figures, so the ratio is measured in one
sitting). Same shapes as the tfjs step: 221-dim features, 4 classes concatenated one-hot to both
networks, noise 64, 2x256 leaky-ReLU (0.2) MLPs, batch 64, 5 critic updates with gradient penalty
(lambda 10) then 1 generator update with L_adv only, Adam(lr 1e-4, betas 0.5, 0.9), 1 thread.
Prints one line: `torch <version> plain WGAN-GP <ms> ms/step (1 thread)`.

Debian's torch calls whatever libblas.so.3 the loader finds: the reference BLAS (libblas3, what
python3-torch pulls in; ~10x slower here) unless e.g. libopenblas0-serial is installed. Pick one with
LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/blas or .../openblas-serial (bench:step --torch runs both).
"""

import argparse
import time

import torch
from torch import nn

DIMENSION, CLASSES, NOISE, HIDDEN, BATCH, CRITIC_STEPS, ROWS = 221, 4, 64, 256, 64, 5, 512


def mlp(inputs: int, outputs: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(inputs, HIDDEN), nn.LeakyReLU(0.2),
        nn.Linear(HIDDEN, HIDDEN), nn.LeakyReLU(0.2),
        nn.Linear(HIDDEN, outputs),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    x = torch.rand(ROWS, DIMENSION) * 2 - 1
    labels = torch.arange(ROWS) % CLASSES
    one_hot_all = nn.functional.one_hot(labels, CLASSES).float()
    generator = mlp(NOISE + CLASSES, DIMENSION)
    critic = mlp(DIMENSION + CLASSES, 1)
    g_opt = torch.optim.Adam(generator.parameters(), lr=1e-4, betas=(0.5, 0.9))
    d_opt = torch.optim.Adam(critic.parameters(), lr=1e-4, betas=(0.5, 0.9))

    def draw():
        rows = torch.randint(0, ROWS, (BATCH,))
        return x[rows], one_hot_all[rows]

    def step() -> None:
        for _ in range(CRITIC_STEPS):
            real, y = draw()
            with torch.no_grad():
                fake = generator(torch.cat([torch.randn(BATCH, NOISE), y], 1))
            scores = critic(torch.cat([torch.cat([real, fake], 0), torch.cat([y, y], 0)], 1))
            wasserstein = scores[:BATCH].mean() - scores[BATCH:].mean()
            eps = torch.rand(BATCH, 1)
            interpolated = (eps * real + (1 - eps) * fake).requires_grad_(True)
            score_i = critic(torch.cat([interpolated, y], 1))
            (gradient,) = torch.autograd.grad(score_i.sum(), interpolated, create_graph=True)
            penalty = ((gradient.square().sum(1) + 1e-12).sqrt() - 1).square().mean()
            loss = -wasserstein + 10 * penalty
            d_opt.zero_grad(set_to_none=True)
            loss.backward()
            d_opt.step()
        _, y = draw()
        fake = generator(torch.cat([torch.randn(BATCH, NOISE), y], 1))
        loss = -critic(torch.cat([fake, y], 1)).mean()
        g_opt.zero_grad(set_to_none=True)
        loss.backward()
        g_opt.step()

    for _ in range(3):
        step()
    started = time.perf_counter()
    for _ in range(args.steps):
        step()
    ms = (time.perf_counter() - started) * 1000 / args.steps
    print(f"torch {torch.__version__} plain WGAN-GP {ms:.1f} ms/step (1 thread)")


if __name__ == "__main__":
    main()
