"""How well the language model decides between calling a tool and answering, and how its calls
are formed, at the API's temperatures, through chat completions and the Realtime API.

36 fixed cases with two declared tools (get_weather, convert_currency): questions that need
tool A, questions that need tool B, questions that need neither, and follow-ups whose tool
result is already in the conversation (the right move is to answer, not to call again). Each is
asked once per temperature (0, 0.8, 1.0) and per front door (chat completions with the official
`openai` SDK; a realtime session over a WebSocket, text output). Prints, per door and
temperature: right decisions, well-formed calls (parsed as a declared tool with JSON arguments,
and no call markup left in text that would be read aloud), correct arguments, and repeated
calls after a result.

    python bench/llm/tool_call_forms.py --url http://127.0.0.1:8000 [--key K] [--label L] [-v]
"""

import argparse
import asyncio
import json
import re
from dataclasses import dataclass, field

import websockets
from openai import OpenAI

WEATHER = {"name": "get_weather", "description": "Current weather in a city.",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}
CURRENCY = {"name": "convert_currency", "description": "Convert an amount of money between currencies.",
            "parameters": {"type": "object", "properties": {
                "amount": {"type": "number"}, "from": {"type": "string", "description": "ISO code, e.g. USD"},
                "to": {"type": "string", "description": "ISO code, e.g. EUR"}},
                "required": ["amount", "from", "to"]}}
TOOLS = [WEATHER, CURRENCY]
SYSTEM = "You are a helpful assistant. Use the tools when a question needs them."
MARKUP = re.compile(r"<tool_call>|```|\{\s*\"(name|function|arguments)\"")


@dataclass
class Case:
    kind: str  # "weather", "currency", "none", "follow_up"
    prompt: str
    expect: dict = field(default_factory=dict)  # argument checks: name -> accepted values
    history: list = field(default_factory=list)  # earlier turns of a follow-up


def weather(prompt, city):
    return Case("weather", prompt, {"city": [city.lower()]})


def currency(prompt, amount, source, target):
    return Case("currency", prompt, {"amount": [amount], "from": source, "to": target})


def follow_up(question, call_args, result, prompt):
    """A conversation where `question` was answered by a call and its `result`; `prompt` goes on."""
    name = "get_weather" if "city" in call_args else "convert_currency"
    history = [("user", question), ("call", name, call_args), ("result", result)]
    return Case("follow_up", prompt, {}, history)


USD, EUR, GBP, JPY = ["usd", "us dollar", "dollar"], ["eur", "euro"], ["gbp", "pound"], ["jpy", "yen"]
CASES = [
    weather("What's the weather like in Paris right now?", "Paris"),
    weather("Is it raining in London at the moment?", "London"),
    weather("How hot is it in Tokyo today?", "Tokyo"),
    weather("Tell me the current weather in New York.", "New York"),
    weather("Weather in Madrid?", "Madrid"),
    weather("I'm packing for Cairo, what's the weather there?", "Cairo"),
    weather("Do I need an umbrella in Berlin today?", "Berlin"),
    weather("How cold is it in Oslo right now?", "Oslo"),
    currency("Convert 100 US dollars to euros.", 100, USD, EUR),
    currency("How many Japanese yen is 50 British pounds?", 50, GBP, JPY),
    currency("What are 250 euros in US dollars?", 250, EUR, USD),
    currency("Change 20 pounds into euros for me.", 20, GBP, EUR),
    currency("How much is 1000 yen in dollars?", 1000, JPY, USD),
    currency("I have 75 euros, how many British pounds is that?", 75, EUR, GBP),
    currency("Convert 12.5 USD to JPY.", 12.5, USD, JPY),
    currency("What's 300 dollars in euros today?", 300, USD, EUR),
    Case("none", "Is a golden retriever a good family dog?"),
    Case("none", "Tell me a short joke."),
    Case("none", "What is the capital of Italy?"),
    Case("none", "How do I boil an egg?"),
    Case("none", "Hello! How are you today?"),
    Case("none", "What is seven times eight?"),
    Case("none", "Give me a synonym for happy."),
    Case("none", "Why is the sky blue?"),
    Case("none", "Who wrote Romeo and Juliet?"),
    Case("none", "Suggest a name for a black cat."),
    Case("none", "How many days are in a leap year?"),
    Case("none", "What does a climate scientist study?"),
    follow_up("What's the weather in Paris?", {"city": "Paris"}, "Sunny, 21 degrees Celsius.",
              "Thanks! Should I bring a jacket?"),
    follow_up("Weather in Rome?", {"city": "Rome"}, "Rain, 14 degrees Celsius.",
              "So what should I wear?"),
    follow_up("How's the weather in Oslo?", {"city": "Oslo"}, "Snow, minus 3 degrees Celsius.",
              "Is that cold?"),
    follow_up("Convert 100 USD to EUR.", {"amount": 100, "from": "USD", "to": "EUR"}, "92.40 EUR",
              "Great, is that more or less than 100?"),
    follow_up("What is 50 GBP in JPY?", {"amount": 50, "from": "GBP", "to": "JPY"}, "9,450 JPY",
              "Thanks. Can you say that number in words?"),
    follow_up("Weather in Lisbon?", {"city": "Lisbon"}, "Cloudy, 18 degrees Celsius.",
              "Nice, and is it a good day for the beach?"),
    follow_up("Convert 10 EUR to USD.", {"amount": 10, "from": "EUR", "to": "USD"}, "10.85 USD",
              "Thank you, that's all."),
    follow_up("What's the weather in Tokyo?", {"city": "Tokyo"}, "Clear, 25 degrees Celsius.",
              "Sounds lovely. Summarise it in one sentence."),
]
EXPECTED_TOOL = {"weather": "get_weather", "currency": "convert_currency", "none": None, "follow_up": None}


@dataclass
class Answer:
    calls: list  # (name, arguments text)
    text: str


@dataclass
class Tally:
    cases: int = 0
    right: int = 0
    calls: int = 0
    well_formed: int = 0
    markup_in_text: int = 0
    arguments_checked: int = 0
    arguments_right: int = 0
    repeated_after_result: int = 0

    def add(self, case: Case, answer: Answer) -> str:
        self.cases += 1
        expected = EXPECTED_TOOL[case.kind]
        called = answer.calls[0][0] if answer.calls else None
        self.right += called == expected
        self.calls += len(answer.calls)
        self.well_formed += sum(1 for name, args in answer.calls
                                if name in ("get_weather", "convert_currency") and _object(args))
        if not answer.calls and MARKUP.search(answer.text):
            self.markup_in_text += 1
        if case.kind == "follow_up" and answer.calls:
            self.repeated_after_result += 1
        if case.expect and called == expected:
            self.arguments_checked += 1
            self.arguments_right += _arguments_match(case.expect, answer.calls[0][1])
        return "right" if called == expected else "WRONG"


def _object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


def _arguments_match(expect: dict, text: str) -> bool:
    try:
        arguments = json.loads(text)
    except ValueError:
        return False
    for name, accepted in expect.items():
        value = arguments.get(name)
        if isinstance(accepted[0], (int, float)):
            try:
                if abs(float(value) - accepted[0]) > 1e-6:
                    return False
            except (TypeError, ValueError):
                return False
        elif not any(a in str(value).lower() for a in accepted):
            return False
    return True


def chat_messages(case: Case) -> list:
    messages = [{"role": "system", "content": SYSTEM}]
    for turn in case.history:
        if turn[0] == "user":
            messages.append({"role": "user", "content": turn[1]})
        elif turn[0] == "call":
            messages.append({"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": turn[1], "arguments": json.dumps(turn[2])}}]})
        else:
            messages.append({"role": "tool", "tool_call_id": "call_1", "content": turn[1]})
    messages.append({"role": "user", "content": case.prompt})
    return messages


def ask_chat(client: OpenAI, model: str, case: Case, temperature: float) -> Answer:
    tools = [{"type": "function", "function": tool} for tool in TOOLS]
    answer = client.chat.completions.create(model=model, messages=chat_messages(case), tools=tools,
                                            tool_choice="auto", temperature=temperature, max_tokens=120)
    message = answer.choices[0].message
    calls = [(c.function.name, c.function.arguments) for c in message.tool_calls or []]
    return Answer(calls, message.content or "")


def realtime_items(case: Case) -> list:
    def user(text):
        return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}

    items = []
    for turn in case.history:
        if turn[0] == "user":
            items.append(user(turn[1]))
        elif turn[0] == "call":
            items.append({"type": "function_call", "call_id": "call_1", "name": turn[1], "arguments": json.dumps(turn[2])})
        else:
            items.append({"type": "function_call_output", "call_id": "call_1", "output": turn[1]})
    items.append(user(case.prompt))
    return items


async def ask_realtime(url: str, key: str, case: Case, temperature: float) -> Answer:
    tools = [{"type": "function", **tool} for tool in TOOLS]
    session = {"type": "realtime", "instructions": SYSTEM, "output_modalities": ["text"], "tools": tools,
               "tool_choice": "auto", "max_output_tokens": 120, "audio": {"input": {"turn_detection": None}}}
    socket_url = url.replace("http", "ws", 1)
    async with websockets.connect(f"{socket_url}/v1/realtime?model=gpt-realtime", max_size=None,
                                  additional_headers={"Authorization": f"Bearer {key}"}) as ws:
        await ws.send(json.dumps({"type": "session.update", "session": session}))
        for item in realtime_items(case):
            await ws.send(json.dumps({"type": "conversation.item.create", "item": item}))
        await ws.send(json.dumps({"type": "response.create", "response": {"temperature": temperature}}))
        async for message in ws:
            event = json.loads(message)
            if event["type"] == "error":
                raise RuntimeError(event["error"]["message"])
            if event["type"] == "response.done":
                output = event["response"]["output"]
                calls = [(i["name"], i["arguments"]) for i in output if i["type"] == "function_call"]
                text = "".join(c.get("text", "") for i in output if i["type"] == "message" for c in i["content"])
                return Answer(calls, text)
    raise RuntimeError("the session closed before response.done")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True, help="the server's base URL, without /v1")
    parser.add_argument("--key", default="none")
    parser.add_argument("--model", default="gpt-4o-mini")
    parser.add_argument("--label", default="vox")
    parser.add_argument("--temperatures", default="0,0.8,1.0")
    parser.add_argument("--doors", default="chat,realtime")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    client = OpenAI(base_url=f"{args.url}/v1", api_key=args.key, timeout=300, max_retries=0)
    print("| build | door | temperature | cases | right decisions | calls well formed | markup in text "
          "| arguments right | repeated after result |")
    print("|---|---|---|---|---|---|---|---|---|")
    for door in args.doors.split(","):
        for temperature in (float(t) for t in args.temperatures.split(",")):
            tally = Tally()
            for case in CASES:
                if door == "chat":
                    answer = ask_chat(client, args.model, case, temperature)
                else:
                    answer = asyncio.run(ask_realtime(args.url, args.key, case, temperature))
                verdict = tally.add(case, answer)
                if args.verbose:
                    shown = "; ".join(f"{n}({a})" for n, a in answer.calls) or answer.text.replace("\n", " ")[:100]
                    print(f"  {door} t={temperature} {case.kind:9} {verdict:5} {case.prompt!r}: {shown}")
            print(f"| {args.label} | {door} | {temperature} | {tally.cases} | {tally.right}/{tally.cases} "
                  f"| {tally.well_formed}/{tally.calls} | {tally.markup_in_text} "
                  f"| {tally.arguments_right}/{tally.arguments_checked} "
                  f"| {tally.repeated_after_result}/{sum(c.kind == 'follow_up' for c in CASES)} |", flush=True)


if __name__ == "__main__":
    main()
