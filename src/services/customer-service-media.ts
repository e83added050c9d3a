/**
 * Images the bot and agents send: read from config/bot/ (or given as base64 by an agent), uploaded
 * once through `media/upload?type=image`, and their temporary media_id reused by every instance
 * until MEDIA_RENEW_BEFORE_MS before WeChat's 3 days run out (docs/wechat.md#customer-service-messages).
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { BotMediaStore, type CachedMedia } from '../store/bot-rules-store';
import type { CustomMessageClient } from '../wechat/custom-message-client';
import type { ImageSource } from './bot-rules';

export const MEDIA_LIFETIME_MS = 3 * 86_400_000; // WeChat's temporary media
export const MEDIA_RENEW_BEFORE_MS = 12 * 3_600_000; // a media_id is replaced this long before its end
export const IMAGE_MAX_BYTES = 2 * 1024 * 1024; // bot images (WeChat takes up to 10 MB; answers should be small)
export const IMAGE_FILE = /^[A-Za-z0-9_-]{1,64}\.(png|jpe?g)$/i; // a file name of config/bot/, no path

/** An image's bytes with what WeChat's upload needs to know of it. */
export interface LoadedImage {
  bytes: Buffer;
  filename: string;
  contentType: 'image/png' | 'image/jpeg';
}

/** Why an image cannot be sent, naming the file (a 400's message, or a failed answer's errmsg). */
export class ImageProblem extends Error {
  override readonly name = 'ImageProblem';
}

/** Reads an image of `dir` (config/bot/) or decodes an agent's base64; checks it is a PNG or JPEG. */
export async function loadImage(dir: string, source: ImageSource): Promise<LoadedImage> {
  if (source.data !== undefined) {
    const bytes = Buffer.from(source.data, 'base64');
    return { bytes, filename: 'image', contentType: sniff(bytes, 'the image data') };
  }
  const file = source.file ?? '';
  if (!IMAGE_FILE.test(file)) throw new ImageProblem(`${file} is not a .png or .jpg file name`);
  const full = path.join(dir, file);
  const info = await stat(full).catch(() => null);
  if (!info?.isFile()) throw new ImageProblem(`config/bot/${file} does not exist`);
  if (info.size > IMAGE_MAX_BYTES) throw new ImageProblem(`config/bot/${file} is larger than 2 MiB`);
  const bytes = await readFile(full);
  return { bytes, filename: file, contentType: sniff(bytes, `config/bot/${file}`) };
}

function sniff(bytes: Buffer, what: string): LoadedImage['contentType'] {
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])))
    return 'image/png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  throw new ImageProblem(`${what} is not a PNG or JPEG image`);
}

export interface MediaCacheDeps {
  store: Pick<BotMediaStore, 'read' | 'write'>;
  client: Pick<CustomMessageClient, 'uploadImage'>;
  now: () => number;
}

/** media_ids by image content, shared through Redis; one upload per image in flight per instance. */
export class MediaCache {
  private readonly inflight = new Map<string, Promise<string>>();

  constructor(private readonly deps: MediaCacheDeps) {}

  /** The image's media_id: the cached one while it has more than MEDIA_RENEW_BEFORE_MS left, else a new upload. */
  async mediaIdFor(image: LoadedImage, accessToken: string): Promise<string> {
    const digest = BotMediaStore.digest(image.bytes);
    const cached = await this.deps.store.read(digest);
    if (cached && this.fresh(cached)) return cached.mediaId;
    let upload = this.inflight.get(digest);
    if (!upload) {
      upload = this.upload(digest, image, accessToken).finally(() => this.inflight.delete(digest));
      this.inflight.set(digest, upload);
    }
    return upload;
  }

  private fresh(media: CachedMedia): boolean {
    return this.deps.now() < media.createdAt + MEDIA_LIFETIME_MS - MEDIA_RENEW_BEFORE_MS;
  }

  private async upload(digest: string, image: LoadedImage, accessToken: string): Promise<string> {
    const createdAt = this.deps.now();
    const { mediaId } = await this.deps.client.uploadImage(accessToken, image);
    await this.deps.store.write(digest, { mediaId, createdAt }, MEDIA_LIFETIME_MS - MEDIA_RENEW_BEFORE_MS);
    return mediaId;
  }
}
