import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { FleetFigures } from '../figures/fleet-figures';
import { ApiErrors } from '../../http/api-errors';
import { AdminOnly } from '../../http/admin/admin.guard';
import { FiguresHistoryQuery, FiguresPointView, FiguresView } from './figures.dto';

@ApiTags('admin')
@AdminOnly()
@Controller('admin/figures')
export class FiguresController {
  constructor(private readonly figures: FleetFigures) {}

  @Get()
  @ApiOperation({
    summary: "The fleet's live figures of the last second (what the admin console shows).",
    description:
      'Rates and permits add up the reports of every instance seen in the last 3 s; backlogs ' +
      'are counted in the database; Kafka is what this instance last heard from the brokers.',
  })
  @ApiOkResponse({ type: FiguresView })
  now(): Promise<FiguresView> {
    return this.figures.now();
  }

  @Get('history')
  @ApiOperation({ summary: 'One point a second of the last minutes, oldest first (the chart).' })
  @ApiOkResponse({ type: [FiguresPointView] })
  @ApiErrors(400)
  history(@Query() query: FiguresHistoryQuery): FiguresPointView[] {
    return this.figures.history(query.seconds);
  }
}
