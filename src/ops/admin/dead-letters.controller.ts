import { Controller, Get, HttpCode, Param, ParseIntPipe, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { DeadLetters } from '../../messaging/dead-letters/dead-letters';
import { ApiErrors } from '../../http/api-errors';
import { AdminUser } from '../../http/admin/admin-user.decorator';
import { AdminOnly } from '../../http/admin/admin.guard';
import { DeadLetterQuery, DeadLetterView, ReplayAllView } from './dead-letters.dto';

@ApiTags('admin')
@AdminOnly()
@Controller('admin/dead-letters')
export class DeadLettersController {
  constructor(private readonly deadLetters: DeadLetters) {}

  @Get()
  @ApiOperation({
    summary: 'Records no retry could process, newest first, with the error and attempts.',
  })
  @ApiOkResponse({ type: [DeadLetterView] })
  @ApiErrors(400)
  list(@Query() query: DeadLetterQuery): Promise<DeadLetterView[]> {
    return this.deadLetters.list(query.state, query.limit);
  }

  @Post('replay')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Replay every waiting dead letter (fix the cause first).',
    description:
      'Each message is published again under its own id: consumers that had handled it drop ' +
      'the copy; the one that failed gets another go.',
  })
  @ApiOkResponse({ type: ReplayAllView })
  replayAll(@AdminUser() by: string): Promise<ReplayAllView> {
    return this.deadLetters.replayAll(by);
  }

  @Post(':id/replay')
  @HttpCode(200)
  @ApiOperation({ summary: 'Replay one dead letter.' })
  @ApiParam({ name: 'id', schema: { type: 'integer' } })
  @ApiOkResponse({ type: DeadLetterView })
  @ApiErrors(400, {
    404: 'No such dead letter.',
    409: 'Already replayed.',
    422: 'Not a message the app can read.',
  })
  replay(@Param('id', ParseIntPipe) id: number, @AdminUser() by: string): Promise<DeadLetterView> {
    return this.deadLetters.replay(String(id), by);
  }
}
