import { Body, Controller, Get, Headers, HttpCode, HttpStatus, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiConsumes,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiProduces,
  ApiQuery,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { stringify } from 'yaml';
import type { PolicyApplyResult, PolicyDocument } from '@gatehouse/contracts';
import type { AuthSession } from '@gatehouse/identity';
import { Audited } from '../../http/audited.decorator';
import { HandsOut } from '../../http/escalation.decorator';
import { Problem } from '../../http/problem';
import { ProblemDetailsDto } from '../../http/problem-details.dto';
import { CurrentSession, HttpPermission } from '../../http/route-access.decorator';
import { PolicyDocumentValidator } from './policy-document.validator';
import { PolicyApplyRequestDto, PolicyApplyResultDto, PolicyDocumentDto } from './policy.dto';
import { PolicyAppService, type PolicyApplyRequest } from './policy.app-service';

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'];

const bad = (detail: string) =>
  new Problem(HttpStatus.BAD_REQUEST, 'VALIDATION', detail, { errors: [detail] });

function flag(value: unknown, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw bad(`${name} must be true or false`);
}

/** Policy as code (issue 13, ADR 0028): the whole policy as one document, out and in. */
@ApiTags('policy')
@ApiExtraModels(PolicyApplyRequestDto, PolicyDocumentDto)
@Controller('policy')
export class PolicyController {
  constructor(
    private readonly policy: PolicyAppService,
    private readonly validator: PolicyDocumentValidator,
  ) {}

  @Get()
  @HttpPermission()
  @ApiOperation({
    summary: 'export roles and users (assignments, direct permissions; never secrets) as one policy document',
    description:
      'YAML with `Accept: application/yaml`, JSON otherwise. Roles by name, users by username, role names sorted: exporting and applying the result changes nothing.',
  })
  @ApiProduces('application/json', 'application/yaml')
  @ApiOkResponse({ type: PolicyDocumentDto })
  async export(
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<PolicyDocument | string> {
    const doc = await this.policy.export();
    if (accept !== undefined && YAML_TYPES.some((t) => accept.toLowerCase().includes(t))) {
      res.type('application/yaml');
      return stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false });
    }
    return doc;
  }

  @Post('apply')
  @HttpPermission()
  @HttpCode(200)
  @Audited({ action: 'policy.apply', target: 'policy' })
  @HandsOut({ to: 'policy', handsOut: ['policy-document'] })
  @ApiOperation({
    summary: 'apply a policy document in one transaction (or plan it: dryRun)',
    description:
      'JSON `{document, dryRun?, prune?}`, or the document itself (JSON or `application/yaml`) with `?dryRun=true&prune=true`. Answers the difference (roles and users created, changed, deleted) and the live subscriptions and sessions it revokes on every gateway. Without prune what the document does not name is kept; with prune roles (but the built-in ones) and users it does not name are deleted. All or nothing; a second apply of the same document changes nothing.',
  })
  @ApiConsumes('application/json', 'application/yaml')
  @ApiBody({
    schema: {
      oneOf: [{ $ref: getSchemaPath(PolicyApplyRequestDto) }, { $ref: getSchemaPath(PolicyDocumentDto) }],
    },
  })
  @ApiQuery({ name: 'dryRun', required: false, type: Boolean, description: 'with a document body' })
  @ApiQuery({ name: 'prune', required: false, type: Boolean, description: 'with a document body' })
  @ApiOkResponse({ type: PolicyApplyResultDto })
  @ApiBadRequestResponse({
    description: 'not a valid policy document (names the JSON pointer)',
    type: ProblemDetailsDto,
  })
  @ApiConflictResponse({
    description: 'would delete or disable the caller, leave no admin, or change a built-in role',
    type: ProblemDetailsDto,
  })
  @ApiPayloadTooLargeResponse({ description: 'larger than POLICY_MAX_BYTES', type: ProblemDetailsDto })
  apply(
    @CurrentSession() s: AuthSession,
    @Body() body: unknown,
    @Query('dryRun') dryRun: unknown,
    @Query('prune') prune: unknown,
    @Req() req: Request,
  ): Promise<PolicyApplyResult> {
    return this.policy.apply(
      { id: s.userId, username: s.username },
      this.request(body, flag(dryRun, 'dryRun'), flag(prune, 'prune')),
      req.ip ?? null,
    );
  }

  private request(
    body: unknown,
    dryRun: boolean | undefined,
    prune: boolean | undefined,
  ): PolicyApplyRequest {
    if (typeof body === 'string') {
      return { document: this.validator.parseYaml(body), dryRun: dryRun ?? false, prune: prune ?? false };
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw bad('send a policy document (JSON or application/yaml), or {document, dryRun?, prune?}');
    const o = body as Record<string, unknown>;
    if (!('document' in o) || 'apiVersion' in o)
      return { document: body, dryRun: dryRun ?? false, prune: prune ?? false };
    const unknown = Object.keys(o).filter((k) => !['document', 'dryRun', 'prune'].includes(k));
    if (unknown.length > 0) throw bad(`unknown field(s) ${unknown.map((k) => `"${k}"`).join(', ')}`);
    if (dryRun !== undefined || prune !== undefined)
      throw bad('give dryRun and prune in the body {document, dryRun, prune} or in the query, not both');
    if (o.dryRun !== undefined && typeof o.dryRun !== 'boolean') throw bad('dryRun must be a boolean');
    if (o.prune !== undefined && typeof o.prune !== 'boolean') throw bad('prune must be a boolean');
    return { document: o.document, dryRun: o.dryRun === true, prune: o.prune === true };
  }
}
