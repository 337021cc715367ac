/**
 * The little vocabulary ranking cannot learn from an edition: acronyms that papers use
 * without spelling out (nobody writes "large language model (LLM)" any more) and a few
 * spellings that tokenising cannot unite. Each group lists interchangeable forms; a
 * `broader` form counts as weaker evidence of the same topic (an "LLM" interest and a
 * "language model" paper). Acronyms a paper does define are mined per edition instead
 * (acronyms.ts), so this list stays short: only entries that are common in ML/AI paper
 * titles and abstracts, each unambiguous there. Forms go through the same tokenizer as
 * text, so write them as people do.
 */
import { tokenize } from './text';

interface GroupDef {
  forms: string[];
  broader?: string[];
}

const GROUPS: GroupDef[] = [
  { forms: ['LLM', 'large language model'], broader: ['language model'] },
  { forms: ['LM', 'language model'] },
  {
    forms: [
      'VLM',
      'LVLM',
      'MLLM',
      'LMM',
      'vision-language model',
      'visual language model',
      'multimodal large language model',
      'multimodal LLM',
      'large multimodal model',
    ],
  },
  { forms: ['VLA', 'vision-language-action model', 'vision-language-action'] },
  { forms: ['RL', 'reinforcement learning'] },
  { forms: ['RLHF', 'reinforcement learning from human feedback'] },
  { forms: ['RLVR', 'reinforcement learning with verifiable rewards'] },
  { forms: ['RAG', 'retrieval-augmented generation', 'retrieval-augmented'] },
  { forms: ['MoE', 'mixture of experts'] },
  { forms: ['OCR', 'optical character recognition'] },
  { forms: ['NLP', 'natural language processing'] },
  { forms: ['AI', 'artificial intelligence'] },
  { forms: ['ML', 'machine learning'] },
  { forms: ['GNN', 'graph neural network'] },
  { forms: ['ViT', 'vision transformer'] },
  { forms: ['LoRA', 'low-rank adaptation'] },
  { forms: ['CoT', 'chain of thought', 'chain-of-thought reasoning'] },
  { forms: ['SFT', 'supervised fine-tuning'] },
  { forms: ['DPO', 'direct preference optimization'] },
  { forms: ['GRPO', 'group relative policy optimization'] },
  { forms: ['ASR', 'automatic speech recognition', 'speech recognition'] },
  { forms: ['TTS', 'text-to-speech'] },
  { forms: ['T2I', 'text-to-image'] },
  { forms: ['T2V', 'text-to-video'] },
  { forms: ['NeRF', 'neural radiance field'] },
  { forms: ['3DGS', '3D Gaussian splatting', 'Gaussian splatting'] },
  { forms: ['KV cache', 'key-value cache'] },
  { forms: ['self-driving', 'autonomous driving'] },
];

export interface SynonymGroup {
  /** Interchangeable forms as token streams. */
  forms: string[][];
  /** Weaker forms of the same topic. */
  broader: string[][];
}

const tokensOf = (forms: readonly string[]) => forms.map(tokenize).filter((tokens) => tokens.length > 0);

/** Form key ("larg languag model") -> its group. */
export const SYNONYMS: ReadonlyMap<string, SynonymGroup> = (() => {
  const map = new Map<string, SynonymGroup>();
  for (const def of GROUPS) {
    const group = { forms: tokensOf(def.forms), broader: tokensOf(def.broader ?? []) };
    for (const form of group.forms) map.set(form.join(' '), group);
  }
  return map;
})();
