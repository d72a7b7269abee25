#!/usr/bin/env bash
# Lets TorchSharp 0.107 (the bench peer) load on Debian 12, whose libstdc++ lacks GLIBCXX_3.4.32.
#   bench/peer/glibcxx-shim/prepare.sh PEERS_DIR   -> prints what LD_PRELOAD must hold for the peer ('' if nothing)
# Its libLibTorchSharp.so needs exactly one symbol of that version (std::ios_base_library_init). Where the
# system library lacks it, this script copies TorchSharp's native files into PEERS_DIR/cpu (the folder
# TorchSharp itself consolidates them into), marks that one version requirement weak in the copy (the NuGet
# cache is left untouched), and builds a small library defining the symbol, to preload. Bench only.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
peers="${1:?peers folder}"
packages="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
native_ts="$packages/torchsharp/0.107.0/runtimes/linux-x64/native"
native_lt="$packages/libtorch-cpu-linux-x64/2.10.0/runtimes/linux-x64/native"
[ -f "$native_ts/libLibTorchSharp.so" ] || { echo ""; exit 0; }   # not restored: the peer reports itself
missing="$(ldd "$native_ts/libLibTorchSharp.so" 2>&1 || true)"
case "$missing" in *"GLIBCXX_3.4.32' not found"*) ;; *) echo ""; exit 0 ;; esac
mkdir -p "$peers/cpu"
for f in "$native_lt"/* "$native_ts"/*; do
  [ -e "$peers/cpu/$(basename "$f")" ] || cp "$f" "$peers/cpu/"
done
cp "$native_ts/libLibTorchSharp.so" "$peers/cpu/libLibTorchSharp.so"
/usr/bin/python3 "$here/weaken_verneed.py" "$peers/cpu/libLibTorchSharp.so" GLIBCXX_3.4.32 >&2
g++ -O2 -shared -fPIC -Wl,--version-script="$here/version.map" -o "$peers/libglibcxx-3.4.32-shim.so" "$here/ios_base_library_init.cc"
echo "$peers/libglibcxx-3.4.32-shim.so"
