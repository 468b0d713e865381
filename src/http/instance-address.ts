import { Inject, Injectable } from '@nestjs/common';
import { hostname } from 'node:os';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { sealReplyTo } from './fleet-reply-to';

/**
 * Where other instances reach this one: PUBLIC_URL, or the loopback address it listens on
 * (known once it listens, which also covers PORT=0).
 */
@Injectable()
export class InstanceAddress {
  private listening: string | null = null;
  private port: number | null = null;
  /** Sealed addresses by unsealed one: each order carries one, and its HMAC never changes. */
  private readonly sealed = new Map<string, string>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  listeningOn({ port }: { port: number }): void {
    this.listening = `http://127.0.0.1:${port}`;
    this.port = port;
  }

  /** How the fleet's figures name this instance: its host and port; null before it listens. */
  name(): string | null {
    return this.port === null ? null : `${hostname()}:${this.port}`;
  }

  baseUrl(): string {
    const url = this.config.callbacks.publicUrl ?? this.listening;
    if (!url) throw new Error('The instance address is not known before it listens.');
    return url;
  }

  /** Where a worker calls this instance back at `path`, sealed as an address of its fleet. */
  replyTo(path: string): string {
    const address = `${this.baseUrl()}${path}`;
    let sealed = this.sealed.get(address);
    if (sealed === undefined) {
      sealed = sealReplyTo(address, this.config.callbacks.internalSecret);
      this.sealed.set(address, sealed);
    }
    return sealed;
  }
}
