import { ApiOkResponse } from '@nestjs/swagger';
import { ApiProblems, ApiProblemsOmit, declaredProblems, PROBLEM_STATUS } from './api-problems.decorator';
import { HttpPermission, ReachableBeforeMfaEnrollment, SelfService } from './route-access.decorator';

type Responses = Record<string, { description: string; content?: Record<string, { examples?: object }> }>;
const responses = (method: object) => Reflect.getMetadata('swagger/apiResponse', method) as Responses;
const codesOf = (r: Responses, status: string) =>
  Object.keys(r[status]?.content?.['application/problem+json']?.examples ?? {});

describe('ApiProblems', () => {
  it('declares each code under the status the problem filter answers it with', () => {
    class C {
      @ApiProblems('IDENTITY.USER_EXISTS', 'IDENTITY.PRECONDITION_FAILED', 'HTTP.PRECONDITION_REQUIRED')
      m() {}
    }
    const r = responses(C.prototype.m);
    expect(Object.keys(r).sort()).toEqual(['409', '412', '428']);
    expect(codesOf(r, '409')).toEqual(['IDENTITY.USER_EXISTS']);
    expect(PROBLEM_STATUS['IDENTITY.PRECONDITION_FAILED']).toBe(412);
    expect(r['412'].description).toContain('`IDENTITY.PRECONDITION_FAILED`');
  });

  it('accumulates with the access decorators in either order, keeping the success response', () => {
    class Above {
      @HttpPermission()
      @ApiOkResponse({ description: 'ok' })
      @ApiProblems('AUTH.ESCALATION', 'IDENTITY.USER_NOT_FOUND')
      m() {}
    }
    class Below {
      @ApiProblems('AUTH.ESCALATION', 'IDENTITY.USER_NOT_FOUND')
      @ApiOkResponse({ description: 'ok' })
      @HttpPermission()
      m() {}
    }
    for (const r of [responses(Above.prototype.m), responses(Below.prototype.m)]) {
      expect(Object.keys(r).sort()).toEqual(['200', '401', '403', '404']);
      expect(r['200'].description).toBe('ok');
      expect(codesOf(r, '403').sort()).toEqual([
        'AUTH.ESCALATION',
        'AUTH.FORBIDDEN',
        'AUTH.MFA_ENROLLMENT_REQUIRED',
        'AUTH.PASSWORD_CHANGE_REQUIRED',
      ]);
      expect(codesOf(r, '401').sort()).toEqual(['AUTH.UNAUTHENTICATED', 'IDENTITY.INVALID_TOKEN']);
    }
  });

  it('a self route reachable before MFA enrolment loses its only 403, in either order', () => {
    class C {
      @SelfService()
      @ReachableBeforeMfaEnrollment()
      a() {}
      @ReachableBeforeMfaEnrollment()
      @SelfService()
      b() {}
      @SelfService()
      c() {}
    }
    expect(Object.keys(responses(C.prototype.a))).toEqual(['401']);
    expect(Object.keys(responses(C.prototype.b))).toEqual(['401']);
    expect(Object.keys(responses(C.prototype.c)).sort()).toEqual(['401', '403']);
    expect(declaredProblems(C.prototype.a)).not.toContain('AUTH.MFA_ENROLLMENT_REQUIRED');
  });

  it('removes only what it declared', () => {
    class C {
      @ApiProblemsOmit('IDENTITY.USER_NOT_FOUND')
      @ApiProblems('IDENTITY.USER_NOT_FOUND', 'IDENTITY.TOKEN_NOT_FOUND')
      m() {}
    }
    expect(codesOf(responses(C.prototype.m), '404')).toEqual(['IDENTITY.TOKEN_NOT_FOUND']);
  });
});
