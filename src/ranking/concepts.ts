/**
 * The field's vocabulary as concepts: each acronym and its spelled-out forms ("RLHF",
 * "reinforcement learning from human feedback") become one concept token, emitted for
 * documents at index time and for interests at query time, so either spelling finds the
 * other. `related` lists neighbouring concepts (or plain phrases) that count as weaker
 * evidence: a DPO paper is relevant to someone who follows RLHF, but less than an RLHF one.
 * Variants are written as people write them; they go through the same tokenizer as text.
 */
import { tokenize } from './text';

interface ConceptDef {
  id: string;
  variants: string[];
  /** [concept id or plain phrase, weight in (0, 1)] */
  related?: [string, number][];
}

const DEFS: ConceptDef[] = [
  // Language models
  {
    id: 'llm',
    variants: ['llm', 'large language model', 'large-scale language model', 'foundation language model'],
    related: [
      ['lm', 0.6],
      ['llmname', 0.45],
    ],
  },
  {
    id: 'lm',
    variants: ['language model', 'lm', 'language modeling', 'language modelling'],
    related: [['llm', 0.6]],
  },
  { id: 'slm', variants: ['small language model', 'slm', 'tiny language model'], related: [['lm', 0.6]] },
  {
    id: 'llmname',
    variants: [
      'gpt',
      'chatgpt',
      'gpt-3',
      'gpt-4',
      'gpt-4o',
      'llama',
      'qwen',
      'mistral',
      'gemini',
      'claude',
      'deepseek',
    ],
    related: [['llm', 0.5]],
  },
  {
    id: 'vlm',
    variants: [
      'vlm',
      'mllm',
      'lmm',
      'lvlm',
      'vision language model',
      'visual language model',
      'vision language large model',
      'multimodal large language model',
      'multimodal llm',
      'multimodal language model',
      'large multimodal model',
      'large vision language model',
      'multimodal foundation model',
      'multimodal model',
      'llava',
      'mm llm',
    ],
    related: [
      ['multimodal', 0.6],
      ['vqa', 0.45],
      ['videollm', 0.5],
      ['vit', 0.2],
    ],
  },
  {
    id: 'multimodal',
    variants: [
      'multimodal',
      'multimodality',
      'crossmodal',
      'cross modal',
      'vision language',
      'vision and language',
      'visual language',
      'image text',
      'text image',
      'visual instruction tuning',
    ],
    related: [
      ['vlm', 0.6],
      ['vqa', 0.4],
    ],
  },
  {
    id: 'vqa',
    variants: ['vqa', 'visual question answering', 'visual reasoning', 'image captioning', 'captioning'],
    related: [['vlm', 0.4]],
  },
  {
    id: 'videollm',
    variants: [
      'video llm',
      'video language model',
      'video understanding',
      'video question answering',
      'videoqa',
    ],
    related: [
      ['vlm', 0.5],
      ['video', 0.3],
    ],
  },
  // Alignment and RL
  {
    id: 'rlhf',
    variants: [
      'rlhf',
      'reinforcement learning from human feedback',
      'reinforcement learning with human feedback',
      'learning from human feedback',
    ],
    related: [
      ['prefopt', 0.6],
      ['rewardmodel', 0.5],
      ['rlaif', 0.6],
      ['alignment', 0.3],
      ['human feedback', 0.5],
      ['human preference', 0.45],
      ['preference', 0.25],
      ['ppo', 0.3],
    ],
  },
  {
    id: 'rlaif',
    variants: ['rlaif', 'reinforcement learning from ai feedback', 'ai feedback'],
    related: [
      ['rlhf', 0.6],
      ['prefopt', 0.4],
    ],
  },
  {
    id: 'prefopt',
    variants: [
      'dpo',
      'direct preference optimization',
      'preference optimization',
      'preference learning',
      'preference alignment',
      'preference tuning',
      'preference data',
      'ipo',
      'kto',
      'simpo',
      'orpo',
    ],
    related: [
      ['rlhf', 0.6],
      ['rewardmodel', 0.4],
      ['alignment', 0.35],
    ],
  },
  {
    id: 'rewardmodel',
    variants: [
      'reward model',
      'reward modeling',
      'reward modelling',
      'process reward model',
      'prm',
      'reward hacking',
    ],
    related: [
      ['rlhf', 0.45],
      ['prefopt', 0.35],
    ],
  },
  {
    id: 'alignment',
    variants: [
      'alignment',
      'align with human',
      'human alignment',
      'value alignment',
      'safety alignment',
      'aligned model',
      'helpful and harmless',
    ],
    related: [
      ['rlhf', 0.4],
      ['prefopt', 0.4],
      ['safety', 0.3],
    ],
  },
  {
    id: 'rl',
    variants: [
      'reinforcement learning',
      'rl',
      'deep reinforcement learning',
      'drl',
      'policy gradient',
      'policy optimization',
    ],
    related: [
      ['ppo', 0.5],
      ['grpo', 0.5],
      ['rlvr', 0.6],
      ['rlhf', 0.4],
      ['reward', 0.3],
    ],
  },
  { id: 'ppo', variants: ['ppo', 'proximal policy optimization'], related: [['rl', 0.5]] },
  {
    id: 'grpo',
    variants: ['grpo', 'group relative policy optimization', 'dapo'],
    related: [
      ['rl', 0.5],
      ['rlvr', 0.5],
    ],
  },
  {
    id: 'rlvr',
    variants: [
      'rlvr',
      'verifiable reward',
      'reinforcement learning with verifiable rewards',
      'rule based reward',
    ],
    related: [
      ['rl', 0.6],
      ['grpo', 0.5],
      ['reasoning', 0.3],
    ],
  },
  // Reasoning and prompting
  {
    id: 'reasoning',
    variants: ['reasoning', 'reasoner', 'reasoning model', 'lrm', 'large reasoning model', 'reason'],
    related: [
      ['cot', 0.5],
      ['math', 0.35],
      ['testtime', 0.35],
    ],
  },
  {
    id: 'cot',
    variants: [
      'cot',
      'chain of thought',
      'chain of thoughts',
      'step by step reasoning',
      'long cot',
      'thinking',
    ],
    related: [['reasoning', 0.5]],
  },
  {
    id: 'testtime',
    variants: [
      'test time scaling',
      'test time compute',
      'inference time scaling',
      'inference time compute',
      'best of n',
      'self consistency',
    ],
    related: [
      ['reasoning', 0.4],
      ['cot', 0.3],
    ],
  },
  {
    id: 'math',
    variants: [
      'math',
      'mathematical',
      'mathematics',
      'math reasoning',
      'math word problem',
      'gsm8k',
      'theorem proving',
      'theorem prover',
      'formal proof',
      'autoformalization',
      'olympiad',
    ],
    related: [['reasoning', 0.4]],
  },
  {
    id: 'icl',
    variants: ['icl', 'in context learning', 'few shot prompting', 'in context example'],
    related: [['prompting', 0.4]],
  },
  {
    id: 'prompting',
    variants: ['prompting', 'prompt engineering', 'prompt optimization', 'prompt design'],
    related: [['icl', 0.4]],
  },
  // Retrieval
  {
    id: 'rag',
    variants: [
      'rag',
      'retrieval augmented generation',
      'retrieval augmented',
      'retrieval enhanced',
      'retrieval based language model',
      'graphrag',
    ],
    related: [
      ['retrieval', 0.5],
      ['knowledgegraph', 0.2],
    ],
  },
  {
    id: 'retrieval',
    variants: [
      'retrieval',
      'retriever',
      'information retrieval',
      'dense retrieval',
      'document retrieval',
      'reranking',
      'reranker',
      'search engine',
    ],
    related: [
      ['rag', 0.5],
      ['embedding', 0.35],
    ],
  },
  {
    id: 'embedding',
    variants: ['text embedding', 'sentence embedding', 'embedding model', 'dense representation'],
    related: [['retrieval', 0.35]],
  },
  // Architectures and efficiency
  {
    id: 'moe',
    variants: [
      'moe',
      'mixture of experts',
      'mixture of expert',
      'sparse mixture of experts',
      'smoe',
      'expert routing',
    ],
  },
  { id: 'vit', variants: ['vit', 'vision transformer'], related: [['transformer', 0.3]] },
  { id: 'cnn', variants: ['cnn', 'convolutional neural network', 'convnet', 'convolutional network'] },
  {
    id: 'gnn',
    variants: [
      'gnn',
      'graph neural network',
      'gcn',
      'graph convolutional network',
      'graph attention network',
      'message passing neural network',
      'mpnn',
      'graph transformer',
    ],
    related: [['graph', 0.3]],
  },
  {
    id: 'transformer',
    variants: ['transformer', 'self attention', 'attention mechanism', 'attention head'],
  },
  {
    id: 'ssm',
    variants: ['ssm', 'state space model', 'state space', 'mamba', 'selective state space', 's4'],
    related: [
      ['linearattention', 0.35],
      ['rnn', 0.25],
    ],
  },
  {
    id: 'linearattention',
    variants: ['linear attention', 'subquadratic', 'linear complexity attention', 'efficient attention'],
    related: [['ssm', 0.35]],
  },
  { id: 'rnn', variants: ['rnn', 'recurrent neural network', 'lstm', 'gru', 'rwkv'] },
  {
    id: 'kd',
    variants: [
      'kd',
      'knowledge distillation',
      'distillation',
      'distill',
      'distilled',
      'distilling',
      'teacher student',
      'student teacher',
    ],
    related: [['compression', 0.35]],
  },
  {
    id: 'peft',
    variants: [
      'peft',
      'parameter efficient fine tuning',
      'parameter efficient finetuning',
      'parameter efficient',
      'adapter',
      'prompt tuning',
      'prefix tuning',
    ],
    related: [
      ['lora', 0.6],
      ['finetune', 0.4],
    ],
  },
  {
    id: 'lora',
    variants: ['lora', 'low rank adaptation', 'qlora', 'dora', 'low rank adapter'],
    related: [
      ['peft', 0.6],
      ['finetune', 0.35],
    ],
  },
  {
    id: 'finetune',
    variants: [
      'fine tuning',
      'finetuning',
      'fine tune',
      'finetune',
      'fine tuned',
      'finetuned',
      'sft',
      'supervised fine tuning',
    ],
    related: [
      ['peft', 0.4],
      ['instruction', 0.4],
    ],
  },
  {
    id: 'instruction',
    variants: [
      'instruction tuning',
      'instruction following',
      'instruction finetuning',
      'instruction tuned',
      'instruction data',
    ],
    related: [['finetune', 0.4]],
  },
  {
    id: 'quantization',
    variants: [
      'quantization',
      'quantized',
      'quantize',
      'ptq',
      'qat',
      'low bit',
      'int4',
      'int8',
      'fp8',
      'binarization',
    ],
    related: [
      ['compression', 0.4],
      ['efficientinference', 0.35],
    ],
  },
  {
    id: 'pruning',
    variants: ['pruning', 'prune', 'pruned', 'sparsification', 'structured sparsity'],
    related: [
      ['compression', 0.4],
      ['efficientinference', 0.3],
    ],
  },
  {
    id: 'compression',
    variants: ['model compression', 'compression', 'compress', 'compressing'],
    related: [
      ['quantization', 0.4],
      ['pruning', 0.4],
      ['kd', 0.35],
    ],
  },
  {
    id: 'kvcache',
    variants: ['kv cache', 'key value cache', 'kv compression', 'cache eviction'],
    related: [
      ['efficientinference', 0.5],
      ['longcontext', 0.35],
    ],
  },
  {
    id: 'speculative',
    variants: ['speculative decoding', 'speculative sampling', 'draft model', 'speculation'],
    related: [['efficientinference', 0.5]],
  },
  {
    id: 'efficientinference',
    variants: [
      'efficient inference',
      'inference efficiency',
      'inference acceleration',
      'llm serving',
      'model serving',
      'inference latency',
      'throughput',
      'efficient llm',
    ],
    related: [
      ['quantization', 0.4],
      ['kvcache', 0.4],
      ['speculative', 0.4],
      ['pruning', 0.3],
    ],
  },
  {
    id: 'longcontext',
    variants: [
      'long context',
      'context window',
      'context length',
      'length extrapolation',
      'long sequence',
      'million token',
    ],
    related: [['kvcache', 0.3]],
  },
  {
    id: 'tokenization',
    variants: ['tokenizer', 'tokenization', 'tokenize', 'byte level', 'vocabulary', 'subword'],
  },
  {
    id: 'scaling',
    variants: ['scaling law', 'compute optimal', 'scaling behavior', 'scaling property'],
  },
  // Generative vision
  {
    id: 'diffusion',
    variants: [
      'diffusion',
      'diffusion model',
      'denoising diffusion',
      'ddpm',
      'ddim',
      'score based generative model',
      'latent diffusion',
      'ldm',
      'stable diffusion',
      'diffusion transformer',
      'dit',
    ],
    related: [
      ['flowmatching', 0.5],
      ['imagegen', 0.35],
      ['videogen', 0.35],
      ['generative model', 0.3],
    ],
  },
  {
    id: 'flowmatching',
    variants: ['flow matching', 'rectified flow', 'consistency model', 'flow based generative'],
    related: [['diffusion', 0.5]],
  },
  {
    id: 'imagegen',
    variants: [
      'text to image',
      't2i',
      'image generation',
      'image synthesis',
      'text to image generation',
      'image editing',
      'visual generation',
      'autoregressive image generation',
    ],
    related: [
      ['diffusion', 0.4],
      ['gan', 0.25],
    ],
  },
  {
    id: 'videogen',
    variants: [
      'text to video',
      't2v',
      'image to video',
      'i2v',
      'video generation',
      'video synthesis',
      'video diffusion',
      'video editing',
      'video generative model',
    ],
    related: [
      ['diffusion', 0.4],
      ['video', 0.4],
      ['worldmodel', 0.25],
    ],
  },
  { id: 'video', variants: ['video', 'videos'], related: [['videogen', 0.3]] },
  { id: 'gan', variants: ['gan', 'generative adversarial network', 'stylegan'] },
  { id: 'vae', variants: ['vae', 'variational autoencoder', 'vq vae', 'vqvae'] },
  // 3D
  {
    id: 'nerf',
    variants: ['nerf', 'neural radiance field', 'radiance field'],
    related: [
      ['3dgs', 0.5],
      ['nvs', 0.5],
      ['3drecon', 0.4],
    ],
  },
  {
    id: '3dgs',
    variants: [
      '3dgs',
      'gaussian splatting',
      '3d gaussian splatting',
      '3d gaussians',
      'gaussian splat',
      '2dgs',
      '4dgs',
    ],
    related: [
      ['nerf', 0.5],
      ['nvs', 0.5],
      ['3drecon', 0.4],
    ],
  },
  {
    id: 'nvs',
    variants: ['novel view synthesis', 'view synthesis', 'novel view'],
    related: [
      ['nerf', 0.45],
      ['3dgs', 0.45],
    ],
  },
  {
    id: '3drecon',
    variants: [
      '3d reconstruction',
      'scene reconstruction',
      'surface reconstruction',
      'multiview stereo',
      'mvs',
      'structure from motion',
      'sfm',
      'slam',
      'depth estimation',
      'point cloud',
    ],
    related: [
      ['3dgs', 0.4],
      ['nerf', 0.4],
      ['3dgen', 0.3],
    ],
  },
  {
    id: '3dgen',
    variants: [
      '3d generation',
      'text to 3d',
      'image to 3d',
      '3d asset',
      '3d content creation',
      'mesh generation',
      '3d generative',
    ],
    related: [
      ['3drecon', 0.3],
      ['3dgs', 0.3],
      ['diffusion', 0.2],
    ],
  },
  {
    id: 'avatar',
    variants: [
      'avatar',
      'talking head',
      'talking face',
      'human animation',
      'portrait animation',
      'digital human',
    ],
  },
  {
    id: 'motion',
    variants: ['motion generation', 'human motion', 'motion synthesis', 'text to motion'],
  },
  // Perception
  {
    id: 'segmentation',
    variants: [
      'segmentation',
      'semantic segmentation',
      'instance segmentation',
      'panoptic segmentation',
      'segment anything',
    ],
  },
  {
    id: 'detection',
    variants: ['object detection', 'detector', 'open vocabulary detection', 'bounding box'],
  },
  {
    id: 'ocr',
    variants: ['ocr', 'optical character recognition', 'text recognition', 'scene text'],
    related: [['document', 0.45]],
  },
  {
    id: 'document',
    variants: [
      'document understanding',
      'document parsing',
      'document ai',
      'chart understanding',
      'pdf parsing',
      'layout analysis',
    ],
    related: [['ocr', 0.45]],
  },
  // Speech and audio
  {
    id: 'asr',
    variants: [
      'asr',
      'automatic speech recognition',
      'speech recognition',
      'speech to text',
      'stt',
      'transcription',
    ],
    related: [['speech', 0.5]],
  },
  {
    id: 'tts',
    variants: [
      'tts',
      'text to speech',
      'speech synthesis',
      'voice cloning',
      'voice synthesis',
      'speech generation',
    ],
    related: [['speech', 0.5]],
  },
  {
    id: 'speech',
    variants: ['speech', 'spoken', 'voice', 'speech language model', 'spoken dialogue', 'speech llm'],
    related: [
      ['asr', 0.45],
      ['tts', 0.45],
      ['audio', 0.4],
    ],
  },
  {
    id: 'audio',
    variants: ['audio', 'sound', 'music', 'audio language model', 'music generation', 'audio generation'],
    related: [['speech', 0.4]],
  },
  // Agents and applications
  {
    id: 'agent',
    variants: ['agent', 'agentic', 'multiagent', 'llm agent', 'autonomous agent', 'language agent'],
    related: [
      ['tooluse', 0.45],
      ['guiagent', 0.5],
      ['planning', 0.3],
    ],
  },
  {
    id: 'tooluse',
    variants: ['tool use', 'tool learning', 'function calling', 'tool calling', 'tool augmented', 'api call'],
    related: [['agent', 0.45]],
  },
  {
    id: 'guiagent',
    variants: [
      'gui agent',
      'web agent',
      'computer use',
      'os agent',
      'mobile agent',
      'web navigation',
      'browser agent',
      'gui',
    ],
    related: [['agent', 0.55]],
  },
  { id: 'planning', variants: ['planning', 'planner', 'task planning'] },
  {
    id: 'codegen',
    variants: [
      'code generation',
      'program synthesis',
      'code llm',
      'code language model',
      'code model',
      'coding',
      'code completion',
      'code repair',
      'program repair',
      'software engineering',
      'programming',
      'swe bench',
      'humaneval',
      'code agent',
    ],
    related: [['code', 0.4]],
  },
  {
    id: 'robot',
    variants: [
      'robot',
      'robotic',
      'robotics',
      'humanoid',
      'manipulator',
      'robotic manipulation',
      'dexterous manipulation',
      'robot learning',
    ],
    related: [
      ['vla', 0.55],
      ['embodied', 0.5],
      ['manipulation', 0.4],
      ['locomotion', 0.4],
      ['imitation learning', 0.35],
    ],
  },
  {
    id: 'vla',
    variants: [
      'vla',
      'vision language action',
      'vision language action model',
      'robot foundation model',
      'robot policy',
    ],
    related: [
      ['robot', 0.55],
      ['embodied', 0.45],
      ['vlm', 0.25],
    ],
  },
  {
    id: 'embodied',
    variants: ['embodied', 'embodied ai', 'embodied agent', 'embodied intelligence'],
    related: [
      ['robot', 0.5],
      ['vla', 0.4],
    ],
  },
  {
    id: 'driving',
    variants: [
      'autonomous driving',
      'self driving',
      'autonomous vehicle',
      'driving scene',
      'end to end driving',
    ],
  },
  { id: 'worldmodel', variants: ['world model', 'world simulator', 'world modeling'] },
  // Trust, safety, interpretability
  {
    id: 'safety',
    variants: [
      'safety',
      'ai safety',
      'llm safety',
      'jailbreak',
      'jailbreaking',
      'red teaming',
      'harmful',
      'guardrail',
      'adversarial attack',
      'prompt injection',
    ],
    related: [
      ['alignment', 0.35],
      ['security', 0.3],
    ],
  },
  { id: 'security', variants: ['security', 'cybersecurity', 'vulnerability', 'backdoor', 'malware'] },
  {
    id: 'hallucination',
    variants: [
      'hallucination',
      'hallucinate',
      'factuality',
      'factual error',
      'faithfulness',
      'factual consistency',
    ],
  },
  {
    id: 'interpretability',
    variants: [
      'interpretability',
      'mechanistic interpretability',
      'explainability',
      'explainable ai',
      'xai',
      'sparse autoencoder',
      'sae',
      'probing',
      'feature attribution',
      'circuit',
    ],
  },
  {
    id: 'bias',
    variants: ['bias', 'fairness', 'stereotype', 'discrimination', 'debiasing'],
  },
  {
    id: 'privacy',
    variants: ['privacy', 'differential privacy', 'unlearning', 'machine unlearning', 'membership inference'],
  },
  { id: 'watermark', variants: ['watermark', 'watermarking', 'ai generated text detection'] },
  {
    id: 'uncertainty',
    variants: ['uncertainty', 'calibration', 'conformal prediction', 'confidence estimation'],
  },
  {
    id: 'eval',
    variants: [
      'benchmark',
      'benchmarking',
      'evaluation',
      'evaluating',
      'evaluate',
      'leaderboard',
      'llm as a judge',
      'llm as judge',
    ],
  },
  // NLP tasks
  { id: 'qa', variants: ['question answering', 'qa', 'open domain qa', 'multi hop question answering'] },
  {
    id: 'mt',
    variants: ['machine translation', 'nmt', 'neural machine translation', 'translation'],
    related: [['multilingual', 0.35]],
  },
  {
    id: 'multilingual',
    variants: [
      'multilingual',
      'cross lingual',
      'crosslingual',
      'low resource language',
      'non english',
      'nonenglish',
      'language diversity',
    ],
    related: [['mt', 0.3]],
  },
  {
    id: 'summarization',
    variants: ['summarization', 'summarize', 'summary generation', 'abstractive summary'],
  },
  { id: 'dialogue', variants: ['dialogue', 'dialog', 'conversational', 'chatbot', 'conversation'] },
  { id: 'ner', variants: ['ner', 'named entity recognition', 'entity recognition'] },
  {
    id: 'knowledgegraph',
    variants: ['knowledge graph', 'kg', 'knowledge base', 'triple'],
  },
  {
    id: 'recsys',
    variants: [
      'recommendation',
      'recommender',
      'recommender system',
      'collaborative filtering',
      'recsys',
      'sequential recommendation',
    ],
  },
  { id: 'timeseries', variants: ['time series', 'forecasting', 'temporal forecasting'] },
  {
    id: 'medical',
    variants: ['medical', 'clinical', 'biomedical', 'healthcare', 'radiology', 'medicine', 'patient', 'ehr'],
  },
  {
    id: 'biology',
    variants: [
      'protein',
      'protein language model',
      'genomic',
      'genomics',
      'dna',
      'rna',
      'single cell',
      'biology',
      'biological',
    ],
  },
  {
    id: 'chemistry',
    variants: ['molecule', 'molecular', 'drug discovery', 'chemistry', 'chemical', 'material discovery'],
  },
  { id: 'federated', variants: ['federated learning', 'federated'] },
  {
    id: 'continual',
    variants: [
      'continual learning',
      'lifelong learning',
      'catastrophic forgetting',
      'incremental learning',
      'continual pretraining',
    ],
  },
  {
    id: 'selfsupervised',
    variants: [
      'self supervised',
      'self supervised learning',
      'contrastive learning',
      'contrastive',
      'masked autoencoder',
      'mae',
    ],
  },
  {
    id: 'syntheticdata',
    variants: ['synthetic data', 'data synthesis', 'data generation', 'data augmentation'],
    related: [['datacuration', 0.35]],
  },
  {
    id: 'datacuration',
    variants: [
      'data curation',
      'data selection',
      'data filtering',
      'data quality',
      'data mixture',
      'pretraining data',
    ],
    related: [['syntheticdata', 0.35]],
  },
];

export interface Concept {
  id: string;
  /** Index token: `~id` can never collide with a stemmed word. */
  token: string;
  related: { token: string | null; phrase: string[] | null; weight: number }[];
}

export interface ConceptVariant {
  tokens: string[];
  concept: Concept;
}

const concepts = new Map<string, Concept>();
/** first token -> variants starting with it */
const byFirstToken = new Map<string, ConceptVariant[]>();

// A related target that is not a concept id is a plain phrase: it becomes a concept of its
// own (one variant), so it only counts when its words appear together, not scattered.
const phraseDefs: ConceptDef[] = [];
for (const def of DEFS) {
  for (const [target] of def.related ?? []) {
    if (
      !DEFS.some((other) => other.id === target) &&
      !phraseDefs.some((other) => other.id === `p-${target}`)
    ) {
      phraseDefs.push({ id: `p-${target}`, variants: [target] });
    }
  }
}
const ALL_DEFS = [...DEFS, ...phraseDefs];

for (const def of ALL_DEFS) concepts.set(def.id, { id: def.id, token: `~${def.id}`, related: [] });
for (const def of ALL_DEFS) {
  const concept = concepts.get(def.id)!;
  for (const [target, weight] of def.related ?? []) {
    const other = concepts.get(target) ?? concepts.get(`p-${target}`)!;
    concept.related.push({ token: other.token, phrase: null, weight });
  }
  const seen = new Set<string>();
  for (const variant of def.variants) {
    const tokens = tokenize(variant);
    const key = tokens.join(' ');
    if (tokens.length === 0 || seen.has(key)) continue;
    seen.add(key);
    const list = byFirstToken.get(tokens[0]!) ?? [];
    list.push({ tokens, concept });
    byFirstToken.set(tokens[0]!, list);
  }
}

export interface ConceptMatch {
  concept: Concept;
  start: number;
  length: number;
}

/** Every concept variant occurring in a token stream (overlapping matches included). */
export function findConcepts(tokens: readonly string[]): ConceptMatch[] {
  const matches: ConceptMatch[] = [];
  for (let start = 0; start < tokens.length; start++) {
    const candidates = byFirstToken.get(tokens[start]!);
    if (!candidates) continue;
    for (const { tokens: variant, concept } of candidates) {
      if (start + variant.length > tokens.length) continue;
      let equal = true;
      for (let offset = 1; offset < variant.length; offset++) {
        if (tokens[start + offset] !== variant[offset]) {
          equal = false;
          break;
        }
      }
      if (equal) matches.push({ concept, start, length: variant.length });
    }
  }
  return matches;
}

export function conceptByToken(token: string): Concept | undefined {
  return token.startsWith('~') ? concepts.get(token.slice(1)) : undefined;
}
