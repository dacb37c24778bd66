#!/usr/bin/env python3
"""Writes expected/*.txt: every conversation of conversations.txt through every template of templates/.

The reference renderer is Python Jinja2 (3.1.6 was used) configured as Hugging Face transformers'
apply_chat_template configures it (sandboxed, trim_blocks, lstrip_blocks, raise_exception, strftime_now),
with the inputs llama.cpp's chat code gives a template: date_string (and a fixed clock, 10 Feb 2025, so the
output is stable), and a leading system message merged into the next message with "\n" when the template
does not use a system message's content (llama.cpp's supports_system_role workaround).

Run from this folder: python3 generate_expected.py
"""
import datetime
import pathlib

from jinja2.exceptions import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = pathlib.Path(__file__).parent
TODAY = datetime.date(2025, 2, 10)

# (bos, eos) texts of each model's vocabulary, as its GGUF's tokenizer.ggml.tokens names them.
SPECIAL = {
    "smollm2": ("<|im_start|>", "<|im_end|>"),
    "qwen2": ("<|endoftext|>", "<|endoftext|>"),
    "qwen2.5": ("<|endoftext|>", "<|im_end|>"),
    "llama-3": ("<|begin_of_text|>", "<|eot_id|>"),
    "llama-3.1": ("<|begin_of_text|>", "<|eot_id|>"),
    "llama-3.2": ("<|begin_of_text|>", "<|eot_id|>"),
    "llama-2": ("<s>", "</s>"),
    "mistral-instruct": ("<s>", "</s>"),
    "mistral-7b-instruct-v0.1": ("<s>", "</s>"),
    "zephyr": ("<s>", "</s>"),
    "phi-3-mini": ("<s>", "<|endoftext|>"),
    "phi-3.5-mini": ("<s>", "<|endoftext|>"),
    "gemma-2": ("<bos>", "<eos>"),
}


def unescape(text):
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out.append({"n": "\n", "t": "\t", "\\": "\\"}[text[i + 1]])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def escape(text):
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")


def conversations():
    result = {}
    for line in (HERE / "conversations.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, role, content = line.split("\t")
            result.setdefault(name, []).append({"role": role, "content": unescape(content)})
    return result


class RaisedException(TemplateError):
    """What a template's raise_exception(message) raises."""


def raise_exception(message):
    raise RaisedException(message)


def render(template, messages, add_generation_prompt, bos, eos):
    return template.render(messages=messages, add_generation_prompt=add_generation_prompt, bos_token=bos,
                           eos_token=eos, date_string=TODAY.strftime("%d %b %Y"))


def supports_system(template, bos, eos):
    needle = "SYSTEM_NEEDLE"
    try:
        return needle in render(template, [{"role": "system", "content": needle},
                                           {"role": "user", "content": "x"}], True, bos, eos)
    except RaisedException:
        return False


def main():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: TODAY.strftime(fmt)
    (HERE / "expected").mkdir(exist_ok=True)
    for path in sorted((HERE / "templates").glob("*.jinja")):
        name = path.stem
        bos, eos = SPECIAL[name]
        template = env.from_string(path.read_text(encoding="utf-8"))
        system = supports_system(template, bos, eos)
        lines = ["# " + path.name + " rendered by generate_expected.py; bos " + bos + ", eos " + eos
                 + ", system role " + ("supported" if system else "merged into the next message")]
        for conversation, messages in conversations().items():
            messages = [dict(m) for m in messages]
            if not system and messages[0]["role"] == "system":
                first = messages.pop(0)
                if messages:
                    messages[0]["content"] = first["content"] + "\n" + messages[0]["content"]
            for gen in (True, False):
                if not messages:
                    result = "!?"  # EdgeLM refuses: no message to merge the system message into
                else:
                    try:
                        result = escape(render(template, messages, gen, bos, eos))
                    except RaisedException as e:
                        result = "!" + escape(str(e))
                lines.append(conversation + "\t" + ("gen" if gen else "nogen") + "\t" + result)
        (HERE / "expected" / (name + ".txt")).write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
