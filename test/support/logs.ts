import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/logger';

/** Log lines captured in memory so tests can read them (and check that no secret leaks). */
export class LogCapture {
  readonly lines: string[] = [];
  readonly logger: Logger;

  constructor(level = process.env.TIXING_TEST_LOG_LEVEL ?? 'debug') {
    const lines = this.lines;
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        if (process.env.TIXING_TEST_LOG) process.stderr.write(chunk);
        done();
      },
    });
    this.logger = createLogger({ level }, sink);
  }

  text(): string {
    return this.lines.join('');
  }
}
