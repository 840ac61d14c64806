import type { ConversationStore } from '../conversations/conversation-store.js';
import { AppError } from '../errors.js';
import type { MessageRoutingService } from '../messaging/message-routing-service.js';
import type { RpcEngine } from '../rpc/engine.js';
import { conversationClose, conversationGet, conversationList, routerRoute } from '../schemas/conversation.js';

/** router.route and conversation.get/list/close: message routing with conversation history. */
export function registerConversationApi(engine: RpcEngine, deps: { messaging: MessageRoutingService; conversations: ConversationStore }): void {
  const { messaging, conversations } = deps;

  // The request's frame timing, so the daemon's own time counts parsing, validation and the reply too.
  engine.register(routerRoute, (params, ctx) => messaging.route(params, ctx.frame));

  engine.register(conversationGet, (params) => {
    const c = conversations.get(params.conversationId);
    if (c === undefined) throw notFound(params.conversationId);
    return c;
  });

  engine.register(conversationList, (params) => ({
    conversations: conversations.list(params.limit ?? 100, params.agentId),
    total: conversations.size,
  }));

  engine.register(conversationClose, (params) => {
    const c = conversations.close(params.conversationId);
    if (c === undefined) throw notFound(params.conversationId);
    return c;
  });
}

const notFound = (conversationId: string): AppError =>
  new AppError('CONVERSATION_NOT_FOUND', 'no such conversation (never existed, closed, or dropped after its idle TTL)', { conversationId });
