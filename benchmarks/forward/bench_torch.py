#!/usr/bin/env python3
"""PyTorch side of the forward benchmark: transformers' GPT2Model on CPU, random
gpt2-small-shaped weights (12 layers, d 768, 12 heads, V 50257), batch 8 x context 128.

"Stop at layer k" runs embeddings + the first k blocks (a GPT2Model built with n_layer=k;
its trailing ln_f is negligible). Prints one JSON object per k on stdout.

    /work/venv/bin/python benchmarks/forward/bench_torch.py --layers 6 12 --threads 2
"""
import argparse
import json
import statistics
import time

import torch
from transformers import GPT2Config, GPT2Model


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--layers", type=int, nargs="+", default=[6, 12])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--context", type=int, default=128)
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--attn", default="sdpa", help="attn_implementation: sdpa (default) or eager")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    tokens = torch.randint(0, 50257, (args.batch, args.context))
    for layers in args.layers:
        config = GPT2Config(n_layer=layers, n_embd=768, n_head=12, vocab_size=50257, n_positions=1024,
                            attn_implementation=args.attn)
        model = GPT2Model(config).eval()
        times = []
        with torch.no_grad():
            for i in range(args.iterations + 1):
                start = time.perf_counter()
                model(input_ids=tokens, use_cache=False)
                elapsed = time.perf_counter() - start
                if i > 0:  # the first call warms up allocator and kernels
                    times.append(elapsed)
        seconds = statistics.median(times)
        print(json.dumps({
            "impl": "torch", "layers": layers, "batch": args.batch, "context": args.context,
            "threads": args.threads, "attn": args.attn, "seconds_median": seconds, "seconds_all": times,
            "tokens_per_second": args.batch * args.context / seconds, "torch": torch.__version__,
        }), flush=True)


if __name__ == "__main__":
    main()
