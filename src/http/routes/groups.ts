import Router from '@koa/router';
import Joi from 'joi';
import { GROUP_LIMITS, GROUP_ROLES, type GroupRole } from '../../domain/group';
import type { GroupQrCodes } from '../../services/group-qrcode';
import type { GroupRoster, MemberChanges, ProfileInput } from '../../services/group-roster';
import type { GroupInput, GroupService } from '../../services/group-service';
import { inputOf, reply, sessionOf, type AppContext, type AppState } from '../context';
import type { Auth } from '../middleware/auth';
import { validate } from '../middleware/validate';
import {
  imageType,
  presentDeletedGroup,
  presentGroup,
  presentGroupPage,
  presentMember,
  presentMemberPage,
} from '../presenters/group';
import { required, text, typedObject, withDefault } from '../schemas';

interface IdParams {
  id: string;
}
interface MemberParams {
  id: string;
  memberId: string;
}
interface PageQuery {
  cursor?: string; // the last id of the previous page
  limit: number;
}
interface MemberQuery extends PageQuery {
  tag?: string;
}
interface JoinBody {
  code: string;
}
type Empty = Record<string, never>;

const L = GROUP_LIMITS;
const ID = Joi.string().pattern(/^\d{1,15}$/);
const name = text().trim().min(1).max(L.nameLength);
const description = text().multiline().trim().allow('').max(L.descriptionLength);
const tag = text().trim().min(1).max(L.tagLength);

const idParams = typedObject<IdParams>({ id: required(ID) });
const memberParams = typedObject<MemberParams>({ id: required(ID), memberId: required(ID) });
const groupQuery = typedObject<PageQuery>({
  cursor: ID,
  limit: withDefault(Joi.number().integer().min(1).max(100), 20),
});
const memberQuery = typedObject<MemberQuery>({
  tag,
  cursor: ID,
  limit: withDefault(Joi.number().integer().min(1).max(200), 50),
});
const createBody = typedObject<GroupInput>({ name: required(name), description });
const patchBody = typedObject<Partial<GroupInput>>({ name, description }).min(1);
// Any code is looked up, within a bound; the service matches it in any case, spaces and dashes aside.
const joinBody = typedObject<JoinBody>({ code: required(text().trim().min(1).max(64)) });
const profileBody = typedObject<ProfileInput>({
  displayName: required(text().trim().min(1).max(L.displayNameLength)),
  studentNo: text().trim().allow('').max(L.studentNoLength),
});
const memberBody = typedObject<MemberChanges>({
  role: Joi.string<GroupRole>().valid(...GROUP_ROLES),
  tags: Joi.alternatives().try(Joi.array().items(tag).max(L.tagsPerMember).unique()),
}).or('role', 'tags');
const emptyBody = typedObject<Empty>({});

/**
 * Groups and their members (README.md#http-api). Every route but create, list and join is about one group,
 * and answers 404 to someone who is not its member, 403 to a member below the route's level.
 * `PUT` is an alias of each `PATCH`: `wx.request` cannot send PATCH.
 */
export function groupRoutes(deps: {
  groups: GroupService;
  roster: GroupRoster;
  qrcodes: GroupQrCodes;
  auth: Auth;
}): Router<AppState> {
  const { groups, roster, qrcodes, auth } = deps;
  const router = new Router<AppState>();

  const create = validate({ body: createBody });
  router.post('/api/groups', auth(), create, async (ctx: AppContext) => {
    const { body } = inputOf(ctx, create);
    reply(ctx, presentGroup(await groups.create(sessionOf(ctx).openid, body)), 201);
  });

  const list = validate({ query: groupQuery });
  router.get('/api/groups', auth(), list, async (ctx: AppContext) => {
    const { query } = inputOf(ctx, list);
    reply(ctx, presentGroupPage(await groups.mine(sessionOf(ctx).openid, query)));
  });

  const join = validate({ body: joinBody });
  router.post('/api/groups/join', auth(), join, async (ctx: AppContext) => {
    const joined = await groups.join(sessionOf(ctx).openid, inputOf(ctx, join).body.code);
    reply(ctx, presentGroup(joined), joined.created ? 201 : 200);
  });

  const one = validate({ params: idParams });
  router.get('/api/groups/:id', auth(), one, async (ctx: AppContext) => {
    reply(ctx, presentGroup(await groups.view(sessionOf(ctx).openid, inputOf(ctx, one).params.id)));
  });

  const patch = validate({ params: idParams, body: patchBody });
  const edit = async (ctx: AppContext) => {
    const { params, body } = inputOf(ctx, patch);
    reply(ctx, presentGroup(await groups.update(sessionOf(ctx).openid, params.id, body)));
  };
  router.patch('/api/groups/:id', auth(), patch, edit);
  router.put('/api/groups/:id', auth(), patch, edit);

  const remove = validate({ params: idParams });
  router.delete('/api/groups/:id', auth(), remove, async (ctx: AppContext) => {
    const { id } = inputOf(ctx, remove).params;
    await groups.delete(sessionOf(ctx).openid, id);
    reply(ctx, presentDeletedGroup(id));
  });

  const rotate = validate({ params: idParams, body: emptyBody });
  router.post('/api/groups/:id/invite-code/rotate', auth(), rotate, async (ctx: AppContext) => {
    const { id } = inputOf(ctx, rotate).params;
    reply(ctx, presentGroup(await groups.rotateInvite(sessionOf(ctx).openid, id)));
  });

  const qrcode = validate({ params: idParams });
  router.get('/api/groups/:id/qrcode', auth(), qrcode, async (ctx: AppContext) => {
    const image = await qrcodes.image(sessionOf(ctx).openid, inputOf(ctx, qrcode).params.id);
    ctx.set('Content-Type', imageType(image));
    ctx.set('Cache-Control', 'private, max-age=300'); // a rotated code makes a new image
    ctx.body = image;
  });

  const profile = validate({ params: idParams, body: profileBody });
  router.put('/api/groups/:id/me', auth(), profile, async (ctx: AppContext) => {
    const { params, body } = inputOf(ctx, profile);
    reply(ctx, presentMember(await roster.setProfile(sessionOf(ctx).openid, params.id, body)));
  });

  const members = validate({ params: idParams, query: memberQuery });
  router.get('/api/groups/:id/members', auth(), members, async (ctx: AppContext) => {
    const { params, query } = inputOf(ctx, members);
    reply(ctx, presentMemberPage(await roster.list(sessionOf(ctx).openid, params.id, query)));
  });

  const change = validate({ params: memberParams, body: memberBody });
  const changeMember = async (ctx: AppContext) => {
    const { params, body } = inputOf(ctx, change);
    const changed = await roster.change(sessionOf(ctx).openid, params.id, params.memberId, body);
    reply(ctx, presentMember(changed));
  };
  router.patch('/api/groups/:id/members/:memberId', auth(), change, changeMember);
  router.put('/api/groups/:id/members/:memberId', auth(), change, changeMember);

  const removeMember = validate({ params: memberParams });
  router.delete('/api/groups/:id/members/:memberId', auth(), removeMember, async (ctx: AppContext) => {
    const { params } = inputOf(ctx, removeMember);
    reply(ctx, presentMember(await roster.remove(sessionOf(ctx).openid, params.id, params.memberId)));
  });

  return router;
}
