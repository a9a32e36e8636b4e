"""The OpenAI Agents SDK for Python (`openai-agents`), unmodified and with its default session
(semantic_vad, voice ash, its own transcription settings), as a voice agent's developer runs it:
a spoken question that needs the tool, the SDK running the tool, a spoken answer using the
result, a follow-up that refers back, and speech over an answer. The SDK reports no error, and
every event Vox sent validates against the openai SDK's GA types. The language model is the
default profile's (Qwen2.5-Coder 1.5B): the test profile's 135M model cannot pick tools, and
the 0.5B one picks them by chance."""

import asyncio

from agents_client import WeatherAgent, spoken
from event_types import mismatch


def sdk_errors(agent: WeatherAgent) -> list:
    return [e for e in agent.of_type("error")]


def type_mismatches(agent: WeatherAgent) -> list[str]:
    return [problem for event in agent.all_raw() if (problem := mismatch(event, "ga"))]


def test_a_spoken_question_runs_the_tool_and_the_answer_uses_its_result(default_vox):
    question = spoken(default_vox, "What is the weather like in Paris right now?")
    follow_up = spoken(default_vox, "Which city did I just ask you about?")

    async def scenario():
        async with WeatherAgent(default_vox) as agent:
            await agent.say(question)
            await agent.wait_for(lambda events: [e for e in events if e.type == "tool_end"])
            # The SDK sends the tool's output and asks for the answer that uses it.
            await agent.wait_for(lambda events: len(agent.answers()) >= 1 and agent.raw("response.done"))
            await agent.wait_for(lambda events: any(
                "21" in a or "sunny" in a.lower() for a in agent.answers()))
            first_answers = len(agent.answers())
            await agent.say(follow_up)
            await agent.wait_for(lambda events: len(agent.answers()) > first_answers and any(
                "paris" in a.lower() for a in agent.answers()[first_answers:]))
            return agent

    agent = asyncio.run(scenario())
    assert [city.lower() for city in agent.tool_calls] == ["paris"], agent.tool_calls
    tool_start = agent.of_type("tool_start")
    assert tool_start and tool_start[0].tool.name == "get_weather"
    assert agent.of_type("audio"), "the answer was spoken"
    assert not sdk_errors(agent), [e.error for e in sdk_errors(agent)]
    assert not type_mismatches(agent), type_mismatches(agent)[:3]


def test_speaking_over_an_answer_interrupts_it_and_the_sdk_truncates(default_vox):
    long_question = spoken(default_vox, "Tell me a long story about a dragon who learns to sing.")
    interruption = spoken(default_vox, "Stop please. Thank you.")

    async def scenario():
        async with WeatherAgent(default_vox) as agent:
            await agent.say(long_question)
            await agent.wait_for(lambda events: agent.of_type("audio"))
            await agent.say(interruption)
            await agent.wait_for(lambda events: agent.raw("conversation.item.truncated"))
            await agent.wait_for(lambda events: agent.of_type("audio_interrupted"))
            return agent

    agent = asyncio.run(scenario())
    cancelled = [d for d in agent.raw("response.done") if d["response"]["status"] == "cancelled"]
    assert cancelled and cancelled[0]["response"]["status_details"]["reason"] == "turn_detected"
    assert not agent.tool_calls, "no weather call for a story"
    assert not sdk_errors(agent), [e.error for e in sdk_errors(agent)]
    assert not type_mismatches(agent), type_mismatches(agent)[:3]
