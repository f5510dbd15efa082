#!/usr/bin/env python3
"""PyTorch side of the Gemma 2 forward benchmark, and the maker of the model both sides run.

--make DIR writes a random Gemma2ForCausalLM with Gemma-2-2B's block shapes (d 2304, MLP 9216,
8 heads on 4 kv heads, head 256, query_pre_attn_scalar 256, sliding window 4096, caps 50 / 30,
tied) cut to --layers blocks (default 4: local, global, local, global), f32 safetensors. The
vocabulary is cut to 16384 (the real 256000 would make a 2.4 GB f32 embedding that a forward to
a middle layer only looks rows up in). Without --make it times transformers' Gemma2Model
(embeddings + every block + the final norm, negligible) with eager attention on random tokens,
batch x context, and prints one JSON line.

    python3 benchmarks/forward-gemma2/bench_torch.py --make /tmp/gemma2-bench
    python3 benchmarks/forward-gemma2/bench_torch.py --model /tmp/gemma2-bench --threads 2
"""
import argparse
import json
import statistics
import time

import torch
from transformers import Gemma2Config, Gemma2ForCausalLM


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--make")
    parser.add_argument("--model")
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--context", type=int, default=128)
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.manual_seed(0)
    if args.make:
        config = Gemma2Config(vocab_size=16384, hidden_size=2304, intermediate_size=9216, num_hidden_layers=args.layers,
                              num_attention_heads=8, num_key_value_heads=4, head_dim=256, max_position_embeddings=8192,
                              query_pre_attn_scalar=256, sliding_window=4096, attn_logit_softcapping=50.0,
                              final_logit_softcapping=30.0, tie_word_embeddings=True)
        Gemma2ForCausalLM(config).save_pretrained(args.make, safe_serialization=True)
        return
    torch.set_num_threads(args.threads)
    model = Gemma2ForCausalLM.from_pretrained(args.model, dtype=torch.float32, attn_implementation="eager").model.eval()
    tokens = torch.randint(0, model.config.vocab_size, (args.batch, args.context))
    times = []
    with torch.no_grad():
        for i in range(args.iterations + 1):
            start = time.perf_counter()
            model(input_ids=tokens, use_cache=False)
            if i > 0:
                times.append(time.perf_counter() - start)
    print(json.dumps({"impl": "torch", "layers": model.config.num_hidden_layers, "batch": args.batch, "context": args.context,
                      "threads": args.threads, "attn": "eager", "seconds_median": statistics.median(times), "seconds_all": times,
                      "tokens_per_second": args.batch * args.context / min(times), "torch": torch.__version__}, sort_keys=True))


if __name__ == "__main__":
    main()
