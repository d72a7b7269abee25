#!/bin/sh
# Both sides on the same corpus in one run. Needs python3-sentencepiece (scripts/setup.sh python3-sentencepiece).
set -e
cd "$(dirname "$0")/../.."
D=tests/ClipSharp.Text.Tests/data/spm
dotnet build bench/SpmBench -c Release -v q -nologo >/dev/null
for m in unigram bpe; do
  /usr/bin/python3 bench/SpmBench/bench_spm.py $D/$m.model $D/${m}_ids.jsonl.gz
  dotnet bench/SpmBench/bin/Release/net10.0/SpmBench.dll $D/$m.model $D/${m}_ids.jsonl.gz
done
