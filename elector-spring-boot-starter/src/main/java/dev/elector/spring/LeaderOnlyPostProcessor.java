package dev.elector.spring;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import org.springframework.aop.support.AopUtils;
import org.springframework.aop.framework.autoproxy.AbstractBeanFactoryAwareAdvisingPostProcessor;
import org.springframework.aop.support.DefaultPointcutAdvisor;
import org.springframework.aop.support.annotation.AnnotationMatchingPointcut;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.util.ReflectionUtils;

/** Proxies (CGLIB) every bean with a {@link LeaderOnly} method so that the method runs only on the leader. */
public class LeaderOnlyPostProcessor extends AbstractBeanFactoryAwareAdvisingPostProcessor {
  private static final long serialVersionUID = 1L;

  public LeaderOnlyPostProcessor() {
    setProxyTargetClass(true);
    // Outermost: a call that is skipped must not reach other advice (transactions, retries) either.
    setBeforeExistingAdvisors(true);
  }

  /**
   * Rejects a {@link LeaderOnly} method the proxy cannot guard, before it could run on every instance: final,
   * private or static methods (CGLIB cannot intercept them) and primitive results (a skipped call has none).
   */
  @Override
  public Object postProcessAfterInitialization(Object bean, String beanName) {
    ReflectionUtils.doWithMethods(AopUtils.getTargetClass(bean), m -> check(m, beanName),
        m -> m.isAnnotationPresent(LeaderOnly.class));
    return super.postProcessAfterInitialization(bean, beanName);
  }

  private static void check(Method m, String beanName) {
    int mod = m.getModifiers();
    String rule = Modifier.isFinal(mod) || Modifier.isPrivate(mod) || Modifier.isStatic(mod)
        ? "must not be final, private or static: the proxy could not keep it from running on every instance"
        : m.getReturnType().isPrimitive() && m.getReturnType() != void.class
            ? "must return void or an object: a call skipped on a follower returns null"
            : null;
    if (rule != null) {
      throw new IllegalStateException("@LeaderOnly method " + m.getDeclaringClass().getName() + "." + m.getName()
          + " of bean '" + beanName + "' " + rule);
    }
  }

  @Override
  public void setBeanFactory(BeanFactory beanFactory) {
    super.setBeanFactory(beanFactory);
    this.advisor = new DefaultPointcutAdvisor(new AnnotationMatchingPointcut(null, LeaderOnly.class, true),
        new LeaderOnlyInterceptor(beanFactory.getBeanProvider(ElectorCandidate.class)));
  }
}
