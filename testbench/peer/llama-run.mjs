#!/usr/bin/env node
// llama-run.mjs: runs llama.cpp (through node-llama-cpp, CPU only, prebuilt binaries) on one
// GGUF file and prints ONE JSON object on standard output. EdgeLM's peer for conformance tests.
//
//   node llama-run.mjs MODEL.gguf '{"mode":"tokenize","text":"Hello"}'
//   echo '{"mode":"logits","tokens":[1,15043],"top_k":5,"n_predict":8}' | node llama-run.mjs MODEL.gguf
//   node llama-run.mjs version
//
// The request is the second argument, or standard input when it is absent or "-". Modes:
//   load      load the model (weights too, unless "vocab_only": true); report what it is
//             (architecture, n_vocab, n_ctx_train, shapes, tensor types, tokenizer, ...).
//   tokenize  "text" -> "tokens" (or "texts": [...] -> "tokens_list": [[...], ...], one load
//             for many texts). No BOS and special-token text not parsed, as llama.cpp's
//             tokenizer tests do; "bos": true adds what llama.cpp's add_special adds (BOS if
//             tokenizer.ggml.add_bos_token, EOS if add_eos_token); "special": true parses
//             special-token text such as "<s>". Works on vocab-only GGUF files.
//   logits    "tokens" (ids) or "text" (+ "bos", default true) -> the next-token distribution
//             after the prompt ("next": token, logprob, top_logprobs), then "n_predict" greedy
//             tokens (temperature 0, default 0) with "token_logprobs" and per-token
//             "top_logprobs" (top "top_k", default 10). "prompt_logprobs": true adds, for each
//             prompt position, the log-probability of the prompt's next token and the top-k.
//             "full_logits": true adds llama.cpp's raw logits after the prompt (n_vocab floats).
//             "ignore_eog": true keeps generating past an end-of-generation token.
//   generate  the same as logits with "n_predict" defaulting to 16.
//   bench     "n_prompt" (128) pseudo-random tokens prefilled, then "n_gen" (64) greedy decode
//             steps: prefill_tps, decode_tps, decode_cpu_cores, max_rss_kb (node-llama-cpp's
//             overhead included).
// {"requests": [{...}, ...]} runs several requests on one loaded model (each inherits the
// top-level options) and answers {"ok": true, "results": [...]}.
//   node llama-run.mjs --models '{"models": [{"model": "a.gguf", ...request}, ...], ...}'
// runs one request (or "requests" batch) per model in one process, inheriting the top-level
// options, and answers {"ok": true, "models": [answer, ...]}.
// Options: "threads" (default llama.cpp's: one per physical core), "ctx" (context size;
// default prompt + n_predict, at least 256), "batch", "kv_type" ("f16", llama.cpp's default,
// or "f32"), "flash_attention" (true/false; default "auto", which llama.cpp turns on for CPU),
// "timeout_s" (default 120), "verbose" (llama.cpp's log on stderr; also LLAMA_RUN_VERBOSE=1).
// For the closest agreement with a float32 reference use "kv_type": "f32" and
// "flash_attention": false: llama.cpp's CPU flash attention rounds Q (and with the f16 cache
// K and V) to f16, which moves logits by ~1e-3.
//
// Log-probabilities are computed here in float64 from llama.cpp's raw float32 logits:
// lp(t) = logit(t) - max - log(sum(exp(logit - max))). Ties in top-k are ordered by token id.
// Exit status: 0 with {"ok":true,...}; 1 with {"ok":false,"error":...} (bad request, llama.cpp
// refused the file, ...) and llama.cpp's last error lines in "llama_log"; 3 on timeout.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {fileURLToPath} from "node:url";

// Only our one JSON object may reach stdout: route console output to stderr.
for (const k of ["log", "info", "warn", "debug"]) console[k] = (...args) => console.error(...args);

const HERE = path.dirname(fileURLToPath(import.meta.url));
const llamaLog = [];  // [level, message]: llama.cpp's warnings and errors, for error reports
let verbose = process.env.LLAMA_RUN_VERBOSE === "1";
let done = false;

function emit(obj, code) {
    if (done) return;
    done = true;
    process.stdout.write(JSON.stringify(obj) + "\n", () => process.exit(code));
}

let failing = false;
function fail(message, code = 1) {
    if (failing || done) return;
    failing = true;
    // llama.cpp's log lines reach JS asynchronously: give them a moment to arrive.
    setTimeout(() => {
        const log = llamaLog.filter(([level]) => level === "error" || level === "fatal" || level === "warn")
            .map(([, msg]) => msg.trim()).filter((m) => m.length > 0).slice(-5);
        // Put llama.cpp's own reason into the one-line error ("Failed to load model" says little).
        const reason = llamaLog.map(([, msg]) => msg.trim()).filter((m) => /error loading model/.test(m)).pop();
        if (reason && !message.includes(reason)) message += ` (${reason})`;
        emit({ok: false, error: message, ...(log.length ? {llama_log: log} : {})}, code);
    }, 150);
}

process.on("uncaughtException", (e) => fail(String(e?.message ?? e)));
process.on("unhandledRejection", (e) => fail(String(e?.message ?? e)));

function usage() {
    return "usage: node llama-run.mjs MODEL.gguf [REQUEST_JSON | -]  (or: node llama-run.mjs --models [REQUEST_JSON | -], node llama-run.mjs version)";
}

async function readRequest(arg) {
    let text;
    if (arg === undefined || arg === "-") {
        text = fs.readFileSync(0, "utf8");
    } else {
        text = arg;
    }
    let req;
    try {
        req = JSON.parse(text);
    } catch (e) {
        throw new Error("the request is not valid JSON: " + e.message);
    }
    if (req === null || typeof req !== "object" || Array.isArray(req)) throw new Error("the request must be a JSON object");
    return req;
}

function intOption(req, name, def, min = 0) {
    const v = req[name];
    if (v === undefined || v === null) return def;
    if (!Number.isInteger(v) || v < min) throw new Error(`"${name}" must be an integer >= ${min}`);
    return v;
}

function boolOption(req, name, def) {
    const v = req[name];
    if (v === undefined || v === null) return def;
    if (typeof v !== "boolean") throw new Error(`"${name}" must be true or false`);
    return v;
}

async function loadLlama(req) {
    const {getLlama, LlamaLogLevel} = await import("node-llama-cpp");
    const threads = req.threads;
    return getLlama({
        gpu: false,
        build: "never",
        progressLogs: false,
        logLevel: verbose ? LlamaLogLevel.info : LlamaLogLevel.warn,
        logger: (level, message) => {
            if (level === "error" || level === "fatal" || level === "warn") {
                llamaLog.push([String(level), String(message)]);
                if (llamaLog.length > 200) llamaLog.shift();
            }
            if (verbose) process.stderr.write(`[llama.cpp ${level}] ${message}${String(message).endsWith("\n") ? "" : "\n"}`);
        },
        ...(Number.isInteger(threads) && threads > 0 ? {maxThreads: Math.max(threads, os.availableParallelism?.() ?? 1)} : {})
    });
}

// Which of the prebuilt CPU backend variants llama.cpp picked for this CPU (libggml-cpu-*.so).
function cpuBackend() {
    try {
        const libs = fs.readFileSync("/proc/self/maps", "utf8").split("\n")
            .map((l) => l.split(/\s+/).pop()).filter((f) => /libggml-cpu[-.]/.test(f ?? ""));
        const names = [...new Set(libs.map((f) => path.basename(f).replace(/^libggml-cpu-?/, "").replace(/\.so.*$/, "") || "default"))];
        return names.length ? names.join(",") : null;
    } catch {
        return null;
    }
}

async function versionInfo() {
    const llama = await loadLlama({});
    const pkg = JSON.parse(fs.readFileSync(path.join(HERE, "node_modules/node-llama-cpp/package.json"), "utf8"));
    return {
        ok: true,
        node_llama_cpp: pkg.version,
        llama_cpp_release: llama.llamaCppRelease,
        build_type: llama.buildType,
        gpu: llama.gpu,
        cpu_math_cores: llama.cpuMathCores,
        max_threads: llama.maxThreads,
        system_info: llama.systemInfo,
        cpu_backend: cpuBackend(),
        node: process.version
    };
}

function modelInfo(model, GgmlType) {
    const fi = model.fileInfo;
    const md = fi.metadata ?? {};
    const arch = md.general?.architecture;
    const tensorTypes = {};
    for (const t of fi.fullTensorInfo ?? fi.tensorInfo ?? []) {
        const name = GgmlType[t.ggmlType] ?? String(t.ggmlType);
        tensorTypes[name] = (tensorTypes[name] ?? 0) + 1;
    }
    const toJson = (v) => JSON.parse(JSON.stringify(v, (k, x) => typeof x === "bigint" ? Number(x) : x));
    const tok = model.tokens;
    return {
        architecture: arch,
        name: md.general?.name,
        file_type: md.general?.file_type,
        n_vocab: md.tokenizer?.ggml?.tokens?.length,
        n_ctx_train: model.trainContextSize,
        n_embd: model.embeddingVectorSize,
        n_layer: fi.architectureMetadata?.block_count ?? null,
        n_params: model.fileInsights.totalParameters,
        model_size_bytes: model.size,
        tensor_count: Number(fi.totalTensorCount ?? fi.tensorCount),
        tensor_types: tensorTypes,  // ggml type name -> number of tensors
        architecture_metadata: toJson(fi.architectureMetadata ?? {}),
        tokenizer: {
            model: md.tokenizer?.ggml?.model,
            pre: md.tokenizer?.ggml?.pre,
            vocabulary_type: model.vocabularyType,
            bos: tok.bos ?? null,
            eos: tok.eos ?? null,
            eot: tok.eot ?? null,
            add_bos: tok.shouldPrependBosToken,
            add_eos: tok.shouldAppendEosToken
        },
        warnings: model.getWarnings()
    };
}

function tokenizeText(model, text, withBos, special) {
    if (typeof text !== "string") throw new Error('"text" must be a string');
    const ids = Array.from(model.tokenize(text, special));
    // llama.cpp's add_special: BOS if tokenizer.ggml.add_bos_token, EOS if add_eos_token.
    if (withBos && model.tokens.shouldPrependBosToken && model.tokens.bos != null) ids.unshift(model.tokens.bos);
    if (withBos && model.tokens.shouldAppendEosToken && model.tokens.eos != null) ids.push(model.tokens.eos);
    return ids;
}

// From llama.cpp's full logits (a Map token -> logit) to log-probabilities.
function distribution(logitsMap, nVocab, topK, wantFull) {
    let max = -Infinity;
    for (const v of logitsMap.values()) if (v > max) max = v;
    let sum = 0;
    for (const v of logitsMap.values()) sum += Math.exp(v - max);
    const lse = max + Math.log(sum);
    let top = [];
    if (topK > 0) {
        const entries = Array.from(logitsMap.entries());
        entries.sort((a, b) => (b[1] - a[1]) || (a[0] - b[0]));
        top = entries.slice(0, topK).map(([id, l]) => [id, l - lse]);
    }
    let full;
    if (wantFull) {
        full = new Array(nVocab ?? logitsMap.size).fill(null);
        for (const [id, l] of logitsMap) full[id] = l;
    }
    return {lse, top, full, logprobOf: (id) => (logitsMap.has(id) ? logitsMap.get(id) - lse : null)};
}

async function runLogits(model, req, mode, info) {
    const topK = intOption(req, "top_k", 10);
    const nPredict = intOption(req, "n_predict", mode === "generate" ? 16 : 0);
    const promptLogprobs = boolOption(req, "prompt_logprobs", false);
    const fullLogits = boolOption(req, "full_logits", false);
    const ignoreEog = boolOption(req, "ignore_eog", false);
    let prompt;
    if (Array.isArray(req.tokens)) {
        prompt = req.tokens;
        if (!prompt.every((t) => Number.isInteger(t) && t >= 0 && (info.n_vocab == null || t < info.n_vocab))) {
            throw new Error(`"tokens" must be token ids in [0, ${info.n_vocab})`);
        }
    } else if (typeof req.text === "string") {
        prompt = tokenizeText(model, req.text, boolOption(req, "bos", true), boolOption(req, "special", false));
    } else {
        throw new Error('logits needs "tokens" (an array of ids) or "text"');
    }
    if (prompt.length === 0) {
        if (model.tokens.bos == null) throw new Error("empty prompt and the model has no BOS token");
        prompt = [model.tokens.bos]; // an empty prompt generates from BOS alone
    }
    const needed = prompt.length + nPredict;
    const ctxSize = intOption(req, "ctx", Math.max(256, needed), 1);
    if (ctxSize < needed) throw new Error(`"ctx" ${ctxSize} is smaller than the prompt plus n_predict (${needed})`);
    const kvType = req.kv_type ?? "f16";
    if (!["f16", "f32"].includes(kvType)) throw new Error('"kv_type" must be "f16" or "f32"');
    const ctxOptions = {
        contextSize: ctxSize,
        sequences: 1,
        ...(req.batch != null ? {batchSize: intOption(req, "batch", 512, 1)} : {}),
        // Default: one thread per physical core (llama.cpp's own default). node-llama-cpp's
        // default may exceed the core count, which makes llama.cpp's spin-waits very slow.
        threads: intOption(req, "threads", model.llama.cpuMathCores, 1),
        ...(req.flash_attention != null ? {flashAttention: boolOption(req, "flash_attention", false)} : {}),
        experimentalKvCacheKeyType: kvType.toUpperCase(),
        experimentalKvCacheValueType: kvType.toUpperCase()
    };
    const context = await model.createContext(ctxOptions);
    const sequence = context.getSequence();
    const genOpts = (withLogits) => ({generateNext: {token: true, logits: withLogits, options: {temperature: 0}}});

    const t0 = performance.now();
    const input = prompt.map((t, i) => {
        if (i === prompt.length - 1) return [t, genOpts(true)];
        if (promptLogprobs) return [t, {generateNext: {logits: true}}];
        return t;
    });
    const res = await sequence.controlledEvaluate(input);
    const tPrefill = performance.now() - t0;

    const out = {
        ok: true,
        mode,
        prompt_tokens: prompt,
        n_prompt: prompt.length
    };
    if (promptLogprobs) {
        out.prompt_logprobs = [];
        for (let i = 0; i + 1 < prompt.length; i++) {
            const d = distribution(res[i].next.logits, info.n_vocab, topK, false);
            out.prompt_logprobs.push({token: prompt[i + 1], logprob: d.logprobOf(prompt[i + 1]), top_logprobs: d.top});
        }
    }
    let last = res[prompt.length - 1]?.next;
    if (!last?.logits) throw new Error("llama.cpp returned no logits for the last prompt token");
    const first = distribution(last.logits, info.n_vocab, topK, fullLogits);
    out.next = {token: last.token, logprob: first.logprobOf(last.token), top_logprobs: first.top};
    if (fullLogits) out.next.logits = first.full;

    const tokens = [], tokenLogprobs = [], topLogprobs = [];
    let stopReason = nPredict > 0 ? "length" : "none";
    const t1 = performance.now();
    let d = first;
    for (let step = 0; step < nPredict; step++) {
        const tok = last.token;
        if (tok == null) { stopReason = "no_token"; break; }
        tokens.push(tok);
        tokenLogprobs.push(d.logprobOf(tok));
        topLogprobs.push(d.top);
        if (!ignoreEog && model.isEogToken(tok)) { stopReason = "eog"; break; }
        if (step === nPredict - 1) break;
        const r = await sequence.controlledEvaluate([[tok, genOpts(true)]]);
        last = r[0]?.next;
        if (!last?.logits) throw new Error("llama.cpp returned no logits during generation");
        d = distribution(last.logits, info.n_vocab, topK, false);
    }
    const tDecode = performance.now() - t1;
    if (nPredict > 0) {
        out.tokens = tokens;
        out.token_logprobs = tokenLogprobs;
        out.top_logprobs = topLogprobs;
        out.text = model.detokenize(tokens, false);
        out.stop_reason = stopReason;
    }
    out.context = {
        size: context.contextSize,
        batch: context.batchSize,
        threads: context.currentThreads,
        flash_attention: context.flashAttention,
        kv_type: kvType
    };
    out.timings_ms = {prefill: round3(tPrefill), decode: round3(tDecode)};
    await context.dispose();
    return out;
}

// Speed through node-llama-cpp: prefill of n_prompt tokens in one evaluation, then n_gen
// single-token greedy decode steps (llama-bench's pp/tg shape). Prompt tokens are fixed
// pseudo-random ids (seeded), as in llama-bench. Includes node-llama-cpp's per-call overhead.
async function runBench(model, req, info) {
    const nPrompt = intOption(req, "n_prompt", 128, 1);
    const nGen = intOption(req, "n_gen", 64, 0);
    let seed = intOption(req, "seed", 42);
    const nVocab = info.n_vocab ?? 32000;
    const prompt = [];
    for (let i = 0; i < nPrompt; i++) {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        prompt.push(seed % nVocab);
    }
    const needed = nPrompt + nGen + 1;
    const ctxSize = intOption(req, "ctx", Math.max(256, needed), 1);
    if (ctxSize < needed) throw new Error(`"ctx" ${ctxSize} is smaller than n_prompt + n_gen + 1 (${needed})`);
    const kvType = req.kv_type ?? "f16";
    if (!["f16", "f32"].includes(kvType)) throw new Error('"kv_type" must be "f16" or "f32"');
    const context = await model.createContext({
        contextSize: ctxSize,
        sequences: 1,
        batchSize: intOption(req, "batch", Math.min(ctxSize, 512), 1),
        threads: intOption(req, "threads", model.llama.cpuMathCores, 1),
        ...(req.flash_attention != null ? {flashAttention: boolOption(req, "flash_attention", false)} : {}),
        experimentalKvCacheKeyType: kvType.toUpperCase(),
        experimentalKvCacheValueType: kvType.toUpperCase()
    });
    const sequence = context.getSequence();
    const t0 = performance.now();
    await sequence.evaluateWithoutGeneratingNewTokens(prompt.slice(0, nPrompt - 1));
    const t1 = performance.now();
    let generated = 0;
    const cpu2 = process.cpuUsage();
    const t2 = performance.now();
    if (nGen > 0) {
        const it = sequence.evaluate([prompt[nPrompt - 1]], {temperature: 0, yieldEogToken: true});
        for await (const _tok of it) {
            if (++generated >= nGen) break;
        }
    }
    const t3 = performance.now();
    const cpu = process.cpuUsage(cpu2);
    const out = {
        ok: true,
        mode: "bench",
        n_prompt: nPrompt,
        n_gen: generated,
        prefill_ms: round3(t1 - t0),
        decode_ms: round3(t3 - t2),
        // the prefill evaluates n_prompt - 1 tokens; the last prompt token starts the decode
        prefill_tps: round3((nPrompt - 1) / ((t1 - t0) / 1000)),
        decode_tps: generated > 0 ? round3(generated / ((t3 - t2) / 1000)) : null,
        // the process's CPU time (llama.cpp's threads, node's) over the decode's wall time: fewer busy cores
        // than threads means other processes took the machine
        decode_cpu_cores: t3 > t2 ? round3((cpu.user + cpu.system) / 1000 / (t3 - t2)) : null,
        max_rss_kb: process.resourceUsage().maxRSS,
        cpu_backend: cpuBackend(),
        context: {
            size: context.contextSize,
            batch: context.batchSize,
            threads: context.currentThreads,
            flash_attention: context.flashAttention,
            kv_type: kvType
        }
    };
    await context.dispose();
    return out;
}

function round3(x) {
    return Math.round(x * 1000) / 1000;
}

const MODES = ["load", "tokenize", "logits", "generate", "bench"];

async function handle(model, req, info, tLoad, vocabOnly) {
    const mode = req.mode ?? "load";
    if (!MODES.includes(mode)) throw new Error(`unknown mode "${mode}" (${MODES.join(", ")})`);
    if (mode === "load") {
        return {ok: true, mode, vocab_only: vocabOnly, ...info, timings_ms: {load: round3(tLoad)}};
    }
    if (mode === "tokenize") {
        const bos = boolOption(req, "bos", false), special = boolOption(req, "special", false);
        let out;
        if (Array.isArray(req.texts)) {
            const tokensList = req.texts.map((t) => tokenizeText(model, t, bos, special));
            out = {ok: true, mode, tokens_list: tokensList};
            if (req.detokenize === true) out.texts = tokensList.map((ids) => model.detokenize(ids, false));
        } else {
            const tokens = tokenizeText(model, req.text, bos, special);
            out = {ok: true, mode, tokens, n_tokens: tokens.length};
            if (req.detokenize === true) out.text = model.detokenize(tokens, false);
        }
        return out;
    }
    if (vocabOnly) throw new Error(`mode "${mode}" needs the weights, but the model was loaded vocab-only`);
    if (mode === "bench") return runBench(model, req, info);
    return runLogits(model, req, mode, info);
}

// Loads one model, answers its request (or its "requests" batch) and frees it.
async function runOnModel(llama, modelPath, req) {
    // {"requests": [...]}: several requests against one loaded model (each inherits the
    // top-level options); the answer is {"ok": true, "results": [...]}, one result per request,
    // a failing request giving {"ok": false, "error": ...} in its place.
    const batch = Array.isArray(req.requests);
    const {requests: _ignored, ...common} = req;
    const reqs = batch ? req.requests.map((r) => ({...common, ...r})) : [req];
    for (const r of reqs) {
        const mode = r.mode ?? "load";
        if (!MODES.includes(mode)) throw new Error(`unknown mode "${mode}" (${MODES.join(", ")})`);
    }
    if (!fs.existsSync(modelPath)) throw new Error(`no such file: ${modelPath}`);
    const tStart = performance.now();
    // Tokenizing needs the vocabulary only; so does "load" with "vocab_only".
    const vocabOnly = reqs.every((r) => (r.mode ?? "load") === "tokenize" || ((r.mode ?? "load") === "load" && r.vocab_only === true));
    let model;
    try {
        model = await llama.loadModel({modelPath, gpuLayers: 0, vocabOnly, useMmap: true});
    } catch (e) {
        throw new Error(`llama.cpp could not load ${modelPath}: ${e?.message ?? e}`);
    }
    const tLoad = performance.now() - tStart;
    const {GgmlType} = await import("node-llama-cpp");
    const info = modelInfo(model, GgmlType);
    let out;
    try {
        if (batch) {
            const results = [];
            for (const r of reqs) {
                try {
                    results.push(await handle(model, r, info, tLoad, vocabOnly));
                } catch (e) {
                    results.push({ok: false, error: String(e?.message ?? e)});
                }
            }
            out = {ok: true, results, timings_ms: {load: round3(tLoad)}};
        } else {
            out = await handle(model, req, info, tLoad, vocabOnly);
            if (out.mode !== "load") out.timings_ms = {load: round3(tLoad), ...(out.timings_ms ?? {})};
        }
    } finally {
        await model.dispose();
    }
    return out;
}

async function main() {
    const argv = process.argv.slice(2);
    if (argv.length === 0 || argv[0] === "-h" || argv[0] === "--help") {
        emit({ok: argv.length > 0, ...(argv.length ? {usage: usage()} : {error: usage()})}, argv.length ? 0 : 1);
        return;
    }
    if (argv[0] === "version" && argv.length === 1) {
        emit(await versionInfo(), 0);
        return;
    }
    if (argv.length > 2) throw new Error(usage());
    const multi = argv[0] === "--models";
    const req = await readRequest(argv[1]);
    verbose = verbose || req.verbose === true;
    const timeoutS = req.timeout_s ?? 120;
    if (typeof timeoutS !== "number" || !(timeoutS > 0)) throw new Error('"timeout_s" must be a positive number');
    setTimeout(() => fail(`timed out after ${timeoutS} s`, 3), timeoutS * 1000);
    const llama = await loadLlama(req);
    if (!multi) {
        emit(await runOnModel(llama, path.resolve(argv[0]), req), 0);
        return;
    }
    // --models: {"models": [{"model": PATH, ...request}, ...], ...common options}: one process
    // (and one ~2 s start-up) for many files; one answer per model, in order, a model that fails
    // giving {"ok": false, "error": ...} in its place.
    if (!Array.isArray(req.models)) throw new Error('--models needs a "models" array');
    const {models, ...common} = req;
    const answers = [];
    for (const entry of models) {
        if (typeof entry?.model !== "string") throw new Error('each of "models" needs a "model" path');
        const {model: modelPath, ...own} = entry;
        try {
            answers.push(await runOnModel(llama, path.resolve(modelPath), {...common, ...own}));
        } catch (e) {
            answers.push({ok: false, error: String(e?.message ?? e)});
        }
    }
    emit({ok: true, models: answers}, 0);
}

main().catch((e) => fail(String(e?.message ?? e)));
