"""llama.cpp's own server (llama-server, through PyPI's xllamacpp wheel) on one GGUF: the
reference the language model benchmark measures Vox against. Runs until killed."""

import sys
import time

import xllamacpp

model, port, threads, slots, context = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
params = xllamacpp.CommonParams()
params.model.path = model
params.port = port
params.n_parallel = slots
params.n_ctx = context * slots
params.cpuparams.n_threads = threads
params.cpuparams_batch.n_threads = threads
server = xllamacpp.Server(params)
print(f"listening {server.listening_address}", flush=True)
while True:
    time.sleep(3600)
