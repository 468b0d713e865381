import { ArgumentsHost, Catch, RpcExceptionFilter } from '@nestjs/common';
import { Observable, throwError } from 'rxjs';

/**
 * Nest's default RPC filter replaces any error a handler throws with a bare "Internal server
 * error". Transports need the real error (to report it, retry it or dead-letter it), so every
 * transport installs this filter instead.
 */
@Catch()
export class PropagateHandlerErrors implements RpcExceptionFilter {
  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => exception);
  }
}
