/**
 * DashScope voice names → engine voices.
 *
 * | DashScope voices | language | espeak voice (CJK text / other text) |
 * |---|---|---|
 * | longxiaochun, longxiaochun_v2, longwan, longwan_v2, longanhuan, longxiaoxia, longxiaoxia_v2, longjing, longmiao, longyue, longshu, longyingxiao, longtong, longxiaobai, longanrou, longanwen, longhuhu | zh, female | cmn+f3 / en-us+f3 |
 * | longcheng, longcheng_v2, longhua, longhua_v2, longanyang, longhan, longxiaocheng, longlaotie, longshuo, longyuan, longfei, longjielidou, longxiang, longanlang, longanshuo | zh, male | cmn / en-us |
 * | loongstella, loongbella, loongeva, loongabby, loongannie, loongava, loongemily, loongluna | en, female | cmn+f3 / en-us+f3 |
 * | loongandy, loongbrian, loongeric, loongjohn, loongluca | en, male | cmn / en-us |
 * | loongemma, loongoliver (British) | en-GB | cmn / en |
 * | `cosyvoice-*` (cloned or designed voices) and `sambert-*` (Sambert models) | any | default (longxiaochun) |
 *
 * The espeak voice follows the text's script: Chinese voices reading Latin text use English, and
 * English voices reading Chinese use Mandarin, because espeak's `cmn` spells Latin words letter by
 * letter. Any other name is unknown and fails the task like the service does (error 418).
 */

export interface VoiceProfile {
  /** The DashScope name as requested. */
  name: string;
  language: 'zh' | 'en';
  gender: 'female' | 'male';
  /** English accent used for Latin text. */
  english: 'en-us' | 'en-gb';
}

const FEMALE_ZH = [
  'longxiaochun',
  'longxiaochun_v2',
  'longwan',
  'longwan_v2',
  'longanhuan',
  'longxiaoxia',
  'longxiaoxia_v2',
  'longjing',
  'longmiao',
  'longyue',
  'longshu',
  'longyingxiao',
  'longtong',
  'longxiaobai',
  'longanrou',
  'longanwen',
  'longhuhu',
];
const MALE_ZH = [
  'longcheng',
  'longcheng_v2',
  'longhua',
  'longhua_v2',
  'longanyang',
  'longhan',
  'longxiaocheng',
  'longlaotie',
  'longshuo',
  'longyuan',
  'longfei',
  'longjielidou',
  'longxiang',
  'longanlang',
  'longanshuo',
];
const FEMALE_EN = [
  'loongstella',
  'loongbella',
  'loongeva',
  'loongabby',
  'loongannie',
  'loongava',
  'loongemily',
  'loongluna',
];
const MALE_EN = ['loongandy', 'loongbrian', 'loongeric', 'loongjohn', 'loongluca'];
const BRITISH: Record<string, 'female' | 'male'> = { loongemma: 'female', loongoliver: 'male' };

const TABLE = new Map<string, Omit<VoiceProfile, 'name'>>();
for (const name of FEMALE_ZH) TABLE.set(name, { language: 'zh', gender: 'female', english: 'en-us' });
for (const name of MALE_ZH) TABLE.set(name, { language: 'zh', gender: 'male', english: 'en-us' });
for (const name of FEMALE_EN) TABLE.set(name, { language: 'en', gender: 'female', english: 'en-us' });
for (const name of MALE_EN) TABLE.set(name, { language: 'en', gender: 'male', english: 'en-us' });
for (const [name, gender] of Object.entries(BRITISH)) {
  TABLE.set(name, { language: 'en', gender, english: 'en-gb' });
}

/** The voice used for cloned (`cosyvoice-…`) voices and Sambert models. */
export const DEFAULT_VOICE = 'longxiaochun';

/** Every voice name in the table. */
export function knownVoices(): string[] {
  return [...TABLE.keys()];
}

/** Looks a DashScope voice up; undefined for an unknown name. */
export function resolveVoice(name: string): VoiceProfile | undefined {
  const entry = TABLE.get(name);
  if (entry) return { name, ...entry };
  if (name.startsWith('cosyvoice-') || name.startsWith('sambert-')) {
    return { name, ...TABLE.get(DEFAULT_VOICE)! };
  }
  return undefined;
}

const CJK = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]/;

/** The espeak voice for a profile and a piece of text (chosen by the text's script). */
export function espeakVoiceFor(profile: VoiceProfile, text: string): string {
  // espeak calls British English plain `en`.
  const base = CJK.test(text) ? 'cmn' : profile.english === 'en-gb' ? 'en' : 'en-us';
  return profile.gender === 'female' ? `${base}+f3` : base;
}
