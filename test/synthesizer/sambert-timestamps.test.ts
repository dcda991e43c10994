/** Merging Sambert's re-sent sentences the way the Python SDK's get_timestamps() reports them. */
import { describe, expect, it } from 'vitest';
import { readSambertSentence, type SambertSentence } from '../../src/protocol-sambert.js';
import { mergeSentence } from '../../src/synthesizer/families/sambert-timestamps.js';

const sentence = (beginTime: number, endTime: number, word = ''): SambertSentence => ({
  beginTime,
  endTime,
  words: word ? [{ text: word, beginTime, endTime, phonemes: [] }] : [],
});

function merged(...sentences: SambertSentence[]): SambertSentence[] {
  const list: SambertSentence[] = [];
  for (const s of sentences) mergeSentence(list, s);
  return list;
}

describe('mergeSentence', () => {
  it('replaces a sentence re-sent with the same begin time and a new end time', () => {
    expect(merged(sentence(0, 0), sentence(0, 960, '欢'))).toEqual([sentence(0, 960, '欢')]);
    expect(merged(sentence(0, 0), sentence(0, 400, 'a'), sentence(0, 960, 'b'))).toEqual([
      sentence(0, 960, 'b'),
    ]);
  });

  it('keeps the first of two sendings with the same times (an exact repeat)', () => {
    expect(merged(sentence(0, 960, 'first'), sentence(0, 960, 'second'))).toEqual([
      sentence(0, 960, 'first'),
    ]);
  });

  it('appends a sentence that begins at another time', () => {
    expect(
      merged(sentence(0, 0), sentence(0, 960, 'a'), sentence(960, 960), sentence(960, 2000, 'b')),
    ).toEqual([sentence(0, 960, 'a'), sentence(960, 2000, 'b')]);
  });
});

describe('readSambertSentence', () => {
  it('reads words and phonemes into camelCase, tones as strings', () => {
    expect(
      readSambertSentence({
        begin_time: 0,
        end_time: 960,
        words: [
          {
            text: '欢',
            begin_time: 0,
            end_time: 240,
            phonemes: [
              { text: 'h', begin_time: 0, end_time: 80, tone: '1' },
              { text: 'uan', begin_time: 80, end_time: 240, tone: 1 },
            ],
          },
        ],
      }),
    ).toEqual({
      beginTime: 0,
      endTime: 960,
      words: [
        {
          text: '欢',
          beginTime: 0,
          endTime: 240,
          phonemes: [
            { text: 'h', beginTime: 0, endTime: 80, tone: '1' },
            { text: 'uan', beginTime: 80, endTime: 240, tone: '1' },
          ],
        },
      ],
    });
  });

  it('ignores a result without both times, as the Python SDK requires them', () => {
    expect(readSambertSentence(undefined)).toBeUndefined();
    expect(readSambertSentence({ words: [] })).toBeUndefined();
    expect(readSambertSentence({ begin_time: 0, words: [] })).toBeUndefined();
    expect(readSambertSentence({ index: 0, words: [] })).toBeUndefined();
  });
});
