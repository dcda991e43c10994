import { describe, expect, it } from 'vitest';
import {
  isSpeakable,
  MAX_SENTENCE_LENGTH,
  SentenceSegmenter,
  splitLongSentence,
} from '../../src/server/segmenter.js';
import { resolveVoice, espeakVoiceFor, knownVoices } from '../../src/server/voices.js';

describe('SentenceSegmenter', () => {
  it('keeps an incomplete tail until more text or a flush', () => {
    const s = new SentenceSegmenter();
    expect(s.push('今天天气')).toEqual([]);
    expect(s.push('不错。我们')).toEqual(['今天天气不错。']);
    expect(s.pending).toBe('我们');
    expect(s.flush()).toEqual(['我们']);
    expect(s.flush()).toEqual([]);
  });

  it('keeps closing quotes and repeated punctuation with their sentence, and decimals whole', () => {
    const s = new SentenceSegmenter();
    expect(s.push('He said "Hi!" Then?! Pi is 3.14 exactly. ')).toEqual([
      'He said "Hi!"',
      ' Then?!',
      ' Pi is 3.14 exactly.',
    ]);
    expect(s.push('「好。」下')).toEqual([' 「好。」']);
  });

  it('isSpeakable rejects whitespace only', () => {
    expect(isSpeakable(' \n')).toBe(false);
    expect(isSpeakable('。')).toBe(true);
  });
});

describe('splitLongSentence', () => {
  it('leaves short sentences alone', () => {
    expect(splitLongSentence('短句。')).toEqual(['短句。']);
  });

  it('cuts long ones at a comma or space, never above the limit, losing nothing', () => {
    const text = `${'字'.repeat(250)}，${'字'.repeat(400)}`;
    const pieces = splitLongSentence(text);
    expect(pieces[0]!.endsWith('，')).toBe(true);
    for (const p of pieces) expect(Array.from(p).length).toBeLessThanOrEqual(MAX_SENTENCE_LENGTH);
    expect(pieces.join('')).toBe(text);
  });
});

describe('voices', () => {
  it('maps the documented names, cloned voices to the default, and rejects unknown ones', () => {
    expect(knownVoices()).toEqual(
      expect.arrayContaining(['longxiaochun', 'longanyang', 'loongstella', 'longcheng']),
    );
    expect(resolveVoice('longanyang')).toMatchObject({ language: 'zh', gender: 'male' });
    expect(resolveVoice('cosyvoice-v2-prefix-abc')).toMatchObject({
      name: 'cosyvoice-v2-prefix-abc',
      language: 'zh',
    });
    expect(resolveVoice('no_such_voice')).toBeUndefined();
  });

  it('picks the espeak voice by the text script', () => {
    const zh = resolveVoice('longxiaochun')!;
    expect(espeakVoiceFor(zh, '你好')).toBe('cmn+f3');
    expect(espeakVoiceFor(zh, 'Hello')).toBe('en-us+f3');
    expect(espeakVoiceFor(resolveVoice('loongoliver')!, 'Hello')).toBe('en');
    expect(espeakVoiceFor(resolveVoice('longcheng')!, '你好')).toBe('cmn');
  });
});
