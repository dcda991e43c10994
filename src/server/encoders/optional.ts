/**
 * The optional packages behind mp3 and Ogg Opus: which one each format needs, a message that
 * names it when it is missing, and a probe that says which formats this installation can encode.
 */

/** The optional peer dependency each compressed format is encoded with. */
export const ENCODER_PACKAGES = Object.freeze({ mp3: 'wasm-media-encoders', opus: 'opusscript' });

/** What {@link probeEncoders} found out about one format. */
export interface EncoderAvailability {
  format: 'pcm' | 'wav' | 'mp3' | 'opus';
  /** The optional package the format needs; undefined for pcm and wav. */
  package: string | undefined;
  available: boolean;
  /** Why it is unavailable: the import error's message. */
  reason?: string;
}

/**
 * Imports an optional encoder package; a failure becomes an error that names the package and
 * the command that installs it (the bare "Cannot find package" helps nobody).
 */
export async function importEncoderPackage<T>(format: 'mp3' | 'opus', load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const name = ENCODER_PACKAGES[format];
    throw new Error(
      `${format} needs the optional package ${name}: npm install ${name} (${(error as Error).message})`,
      { cause: error },
    );
  }
}

/** Whether each format can be encoded here: mp3 and opus only when their package imports. */
export async function probeEncoders(): Promise<EncoderAvailability[]> {
  const probe = async (
    format: 'mp3' | 'opus',
    load: () => Promise<unknown>,
  ): Promise<EncoderAvailability> => {
    try {
      await load();
      return { format, package: ENCODER_PACKAGES[format], available: true };
    } catch (error) {
      return {
        format,
        package: ENCODER_PACKAGES[format],
        available: false,
        reason: (error as Error).message,
      };
    }
  };
  return [
    { format: 'pcm', package: undefined, available: true },
    { format: 'wav', package: undefined, available: true },
    // The specifiers stay literal so that bundlers see (and keep external) the optional imports.
    await probe('mp3', () => import('wasm-media-encoders')),
    await probe('opus', () => import('opusscript')),
  ];
}
