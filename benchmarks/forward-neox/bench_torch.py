#!/usr/bin/env python3
"""PyTorch side of the GPT-NeoX-shape forward benchmark, and the maker of the model both sides run.

--make DIR writes a random GPTNeoXForCausalLM with Pythia-160M's shapes (d 768, 12 heads of 64,
MLP 3072, V 50304, rotary_pct 0.25, parallel residual, exact GELU, untied) cut to its middle
(--layers, default 6 of 12), f32 safetensors. Without --make it times transformers'
GPTNeoXModel (embeddings + every block + the final norm, negligible) on random tokens,
batch x context, and prints one JSON line.

    python3 benchmarks/forward-neox/bench_torch.py --make /tmp/neox-bench
    python3 benchmarks/forward-neox/bench_torch.py --model /tmp/neox-bench --threads 2
"""
import argparse
import json
import statistics
import time

import torch
from transformers import GPTNeoXConfig, GPTNeoXForCausalLM


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--make")
    parser.add_argument("--model")
    parser.add_argument("--layers", type=int, default=6)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--context", type=int, default=128)
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--attn", default="sdpa", help="attn_implementation: sdpa (default) or eager")
    args = parser.parse_args()
    torch.manual_seed(0)
    if args.make:
        config = GPTNeoXConfig(vocab_size=50304, hidden_size=768, intermediate_size=3072, num_hidden_layers=args.layers,
                               num_attention_heads=12, max_position_embeddings=2048, layer_norm_eps=1e-5, rotary_pct=0.25,
                               rotary_emb_base=10000, use_parallel_residual=True, hidden_act="gelu", tie_word_embeddings=False,
                               bos_token_id=0, eos_token_id=0)
        GPTNeoXForCausalLM(config).save_pretrained(args.make, safe_serialization=True)
        return
    torch.set_num_threads(args.threads)
    model = GPTNeoXForCausalLM.from_pretrained(args.model, dtype=torch.float32, attn_implementation=args.attn).gpt_neox.eval()
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
