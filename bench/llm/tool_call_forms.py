"""How often the language model's tool calls in `tool_choice: "auto"` come back as tool calls.

Sends 20 varied requests that each call for one of five declared tools, with the official
`openai` SDK, and sorts the answers: a parsed tool call, call markup left in the content
(tags, fences, JSON objects: what a listener would hear read aloud), or plain text.

    python bench/llm/tool_call_forms.py --url http://127.0.0.1:8000/v1 [--key K] [--label L]
"""

import argparse
import re

from openai import OpenAI

TOOLS = [
    {"type": "function", "function": {"name": "get_weather", "description": "Current weather in a city.",
     "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}},
    {"type": "function", "function": {"name": "get_time", "description": "Current time in a time zone.",
     "parameters": {"type": "object", "properties": {"timezone": {"type": "string"}}, "required": ["timezone"]}}},
    {"type": "function", "function": {"name": "convert_currency", "description": "Convert money between currencies.",
     "parameters": {"type": "object", "properties": {"amount": {"type": "number"}, "from": {"type": "string"},
                                                     "to": {"type": "string"}}, "required": ["amount", "from", "to"]}}},
    {"type": "function", "function": {"name": "set_timer", "description": "Start a countdown timer.",
     "parameters": {"type": "object", "properties": {"minutes": {"type": "number"}}, "required": ["minutes"]}}},
    {"type": "function", "function": {"name": "search_web", "description": "Search the web.",
     "parameters": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}}},
]

PROMPTS = [
    "What's the weather like in Paris right now?",
    "Is it raining in London at the moment?",
    "How hot is it in Tokyo today?",
    "Tell me the current temperature in New York.",
    "What time is it in Sydney?",
    "What's the time in Europe/Berlin right now?",
    "Could you check the current time in Tokyo for me?",
    "Convert 100 US dollars to euros.",
    "How many Japanese yen is 50 British pounds?",
    "I need 250 euros in Swiss francs, how much is that?",
    "Set a timer for 10 minutes.",
    "Start a 25 minute countdown please.",
    "Remind me in 5 minutes with a timer.",
    "Search the web for the latest Rust release notes.",
    "Look up who won the 2022 World Cup.",
    "Find recent news about the James Webb telescope.",
    "Weather in Madrid?",
    "Please tell me what the weather is in Cairo, I'm packing.",
    "Exchange 20 Canadian dollars into US dollars for me.",
    "I'm baking, can you set a timer for 45 minutes?",
]

MARKUP = re.compile(r"<tool_call>|```|\{\s*\"(name|function|arguments)\"")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--key", default="none")
    parser.add_argument("--model", default="gpt-4o-mini")
    parser.add_argument("--label", default="vox")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    client = OpenAI(base_url=args.url, api_key=args.key, timeout=300)
    parsed = markup = text = 0
    for prompt in PROMPTS:
        answer = client.chat.completions.create(
            model=args.model, messages=[{"role": "user", "content": prompt}],
            tools=TOOLS, tool_choice="auto", temperature=0, max_tokens=200)
        choice = answer.choices[0]
        content = choice.message.content or ""
        if choice.message.tool_calls:
            parsed += 1
            kind = "call " + ", ".join(f"{c.function.name}({c.function.arguments})" for c in choice.message.tool_calls)
        elif MARKUP.search(content):
            markup += 1
            kind = "MARKUP " + content.replace("\n", " ")[:160]
        else:
            text += 1
            kind = "text " + content.replace("\n", " ")[:160]
        if args.verbose:
            print(f"  {prompt!r}: {kind}")
    print(f"| {args.label} | {len(PROMPTS)} | {parsed} | {markup} | {text} |")


if __name__ == "__main__":
    main()
