#!/usr/bin/env python3
"""PyTorch side of the Llama-shape forward benchmark, and the maker of the model both sides run.

--make DIR writes a random LlamaForCausalLM with SmolLM2-135M's shapes (d 576, MLP 1536, 9 heads
on 3 kv heads, head 64, V 49152, rope_theta 100000, tied) cut to its middle (--layers, default
15 of 30), f32 safetensors. Without --make it times transformers' LlamaModel (embeddings + every
block + the final norm, negligible) on random tokens, batch x context, and prints one JSON line.

    python3 benchmarks/forward-llama/bench_torch.py --make /tmp/llama-bench
    python3 benchmarks/forward-llama/bench_torch.py --model /tmp/llama-bench --threads 2
"""
import argparse
import json
import statistics
import time

import torch
from transformers import LlamaConfig, LlamaForCausalLM


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--make")
    parser.add_argument("--model")
    parser.add_argument("--layers", type=int, default=15)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--context", type=int, default=128)
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--attn", default="sdpa", help="attn_implementation: sdpa (default) or eager")
    args = parser.parse_args()
    torch.manual_seed(0)
    if args.make:
        config = LlamaConfig(vocab_size=49152, hidden_size=576, intermediate_size=1536, num_hidden_layers=args.layers,
                             num_attention_heads=9, num_key_value_heads=3, head_dim=64, max_position_embeddings=2048,
                             rms_norm_eps=1e-5, rope_theta=100000.0, tie_word_embeddings=True)
        LlamaForCausalLM(config).save_pretrained(args.make, safe_serialization=True)
        return
    torch.set_num_threads(args.threads)
    model = LlamaForCausalLM.from_pretrained(args.model, torch_dtype=torch.float32, attn_implementation=args.attn).model.eval()
    tokens = torch.randint(0, model.config.vocab_size, (args.batch, args.context))
    times = []
    with torch.no_grad():
        for i in range(args.iterations + 1):
            start = time.perf_counter()
            model(input_ids=tokens, use_cache=False)
            if i > 0:
                times.append(time.perf_counter() - start)
    print(json.dumps({"impl": "torch", "layers": model.config.num_hidden_layers, "batch": args.batch, "context": args.context,
                      "threads": args.threads, "attn": args.attn, "seconds_median": statistics.median(times), "seconds_all": times,
                      "tokens_per_second": args.batch * args.context / min(times), "torch": torch.__version__}, sort_keys=True))


if __name__ == "__main__":
    main()
