//! A request's sampling parameters as a llama.cpp sampler chain.

use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;
use llama_cpp_2::token::logit_bias::LlamaLogitBias;
use vox_engine::chat::SamplingParams;

/// OpenAI's default temperature and nucleus: requests that set neither get what the API gives.
pub const DEFAULT_TEMPERATURE: f64 = 1.0;
pub const DEFAULT_TOP_P: f64 = 1.0;
/// Cuts the long tail of tokens below 5 % of the best one's probability. At temperature 1 a small
/// model otherwise wanders off into noise; llama.cpp uses the same floor by default.
const MIN_P: f32 = 0.05;

/// `grammar` (GBNF) constrains every token when present: it goes first in the chain. `barred`
/// are tokens the words may never use (a tool call's openings, which are decided greedily).
pub fn sampler_for(
    model: &LlamaModel,
    params: &SamplingParams,
    grammar: Option<&str>,
    barred: &[LlamaToken],
) -> Result<LlamaSampler, String> {
    let mut chain = Vec::new();
    if let Some(grammar) = grammar {
        chain.push(grammar_sampler(model, grammar)?);
    }
    if !barred.is_empty() {
        let bias: Vec<LlamaLogitBias> = barred
            .iter()
            .map(|token| LlamaLogitBias::new(*token, f32::NEG_INFINITY))
            .collect();
        chain.push(LlamaSampler::logit_bias(model.vocab().n_tokens(), &bias));
    }
    let temperature = params.temperature.unwrap_or(DEFAULT_TEMPERATURE);
    if temperature <= 0.0 {
        chain.push(LlamaSampler::greedy());
    } else {
        let top_p = params.top_p.unwrap_or(DEFAULT_TOP_P);
        chain.extend([
            LlamaSampler::top_p(top_p as f32, 1),
            LlamaSampler::min_p(MIN_P, 1),
            LlamaSampler::temp(temperature as f32),
            LlamaSampler::dist(seed_of(params.seed)),
        ]);
    }
    Ok(LlamaSampler::chain_simple(chain))
}

/// A tool call's rest: held to `grammar`, and greedy, since arguments are extracted, not invented.
pub fn call_sampler(model: &LlamaModel, grammar: &str) -> Result<LlamaSampler, String> {
    Ok(LlamaSampler::chain_simple([
        grammar_sampler(model, grammar)?,
        LlamaSampler::greedy(),
    ]))
}

fn grammar_sampler(model: &LlamaModel, grammar: &str) -> Result<LlamaSampler, String> {
    LlamaSampler::grammar(model, grammar, "root").map_err(|e| format!("grammar: {e}"))
}

/// A given seed is folded into 32 bits; without one, every request draws its own.
fn seed_of(seed: Option<i64>) -> u32 {
    match seed {
        Some(seed) => (seed as u64 ^ ((seed as u64) >> 32)) as u32,
        None => uuid::Uuid::new_v4().as_u128() as u32,
    }
}
