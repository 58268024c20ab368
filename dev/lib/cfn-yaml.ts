import { parse, type ScalarTag, type CollectionTag } from 'yaml';

/** CloudFormation's short-form intrinsics (!Ref, !Sub, !GetAtt, ...) as their long forms. */
const INTRINSICS = [
  'Ref',
  'Sub',
  'GetAtt',
  'If',
  'Not',
  'Equals',
  'Join',
  'Select',
  'Split',
  'FindInMap',
  'And',
  'Or',
  'Condition',
  'ImportValue',
  'GetAZs',
  'Base64',
  'Cidr',
];

const longForm = (name: string) => (name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`);

const tags: (ScalarTag | CollectionTag)[] = INTRINSICS.flatMap((name) => [
  {
    tag: `!${name}`,
    resolve: (value: string) => ({ [longForm(name)]: name === 'GetAtt' ? value.split('.') : value }),
  } satisfies ScalarTag,
  {
    tag: `!${name}`,
    collection: 'seq',
    resolve: (value) => ({ [longForm(name)]: value.toJSON() }),
  } as CollectionTag,
]);

/** Parse a CloudFormation/SAM template, short-form intrinsics included. */
export function parseTemplate(text: string): CfnTemplate {
  return parse(text, { customTags: tags }) as CfnTemplate;
}

export interface CfnResource {
  Type: string;
  Condition?: string;
  DependsOn?: string | string[];
  Metadata?: Record<string, unknown>;
  Properties?: Record<string, unknown>;
}

export interface CfnTemplate {
  Globals?: { Function?: Record<string, unknown> };
  Parameters?: Record<string, unknown>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, CfnResource>;
}

/** An IAM policy statement, as a template spells it. */
export interface IamStatement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** Every IAM statement inside a template value, whatever intrinsics wrap it. */
export function statementsIn(value: unknown): IamStatement[] {
  if (Array.isArray(value)) return value.flatMap(statementsIn);
  if (value && typeof value === 'object') {
    if ('Effect' in value && 'Action' in value) return [value as IamStatement];
    return Object.values(value).flatMap(statementsIn);
  }
  return [];
}

export const actionsOf = (statement: IamStatement): string[] => [statement.Action].flat();
