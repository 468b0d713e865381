import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { AdminUser } from '../../http/admin/admin-user.decorator';
import { AdminOnly } from '../../http/admin/admin.guard';

export class SignedInView {
  @ApiProperty({ example: 'alice', description: 'The name the audit trail records for you.' })
  name!: string;
}

@ApiTags('admin')
@AdminOnly()
@Controller('admin/me')
export class SignedInController {
  @Get()
  @ApiOperation({ summary: 'Who the credential names: the admin the audit trail records.' })
  @ApiOkResponse({ type: SignedInView })
  me(@AdminUser() name: string): SignedInView {
    return { name };
  }
}
